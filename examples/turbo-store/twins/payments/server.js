// A twin of the payments provider: the few endpoints the api calls, with in-memory state, so a
// preview never charges a real card and starts clean on every scenario load (previewd restarts it).
import http from "node:http";

const port = Number(process.env.PORT ?? 4010);
const host = process.env.HOST ?? "127.0.0.1";
// Charges above this many cents are declined, as a test card would be.
const declineAbove = Number(process.env.DECLINE_ABOVE_CENTS ?? 100_000);
const charges = [];

function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

async function readJson(req) {
  let text = "";
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text || "{}");
  } catch {
    return undefined;
  }
}

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (req.method === "GET" && path === "/healthz")
    return send(res, 200, { status: "ok", charges: charges.length });
  if (req.method === "GET" && path === "/charges") return send(res, 200, { items: charges });
  if (req.method === "POST" && path === "/charges") {
    const body = await readJson(req);
    if (!body || !Number.isInteger(body.amountCents) || body.amountCents <= 0) {
      return send(res, 400, { error: "invalid_amount" });
    }
    if (body.amountCents > declineAbove) return send(res, 402, { error: "card_declined" });
    const charge = {
      id: `ch_${charges.length + 1}`,
      amountCents: body.amountCents,
      currency: body.currency ?? "EUR",
      reference: body.reference ?? null,
      status: "succeeded",
    };
    charges.push(charge);
    console.log(`charged ${charge.amountCents} ${charge.currency} as ${charge.id}`);
    return send(res, 201, charge);
  }
  send(res, 404, { error: "not_found" });
});

server.listen(port, host, () => console.log(`payments twin listening on http://${host}:${port}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => server.close(() => process.exit(0)));
