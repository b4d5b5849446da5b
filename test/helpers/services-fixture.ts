/**
 * A small monorepo with backing services beyond Postgres: `cache` (redis) and `twin` (a `command`
 * service: a digital twin of a payments API that keeps its charges in memory), and an `api` app
 * that uses both through `${services.cache.url}` and `${services.twin.url|host|port}`. Plain
 * JavaScript with no dependencies: the api speaks the few lines of RESP it needs itself.
 */

/** The manifest for the process runtime (`run`, `start`) and the docker runtime (`docker` blocks). */
export function servicesManifest(options: { redisImage?: string } = {}): string {
  const image = options.redisImage ? `, image: "${options.redisImage}"` : "";
  return `version: 1
name: svcfix
env:
  SHARED_GREETING: hello from the top
services:
  cache: { type: redis${image} }
  twin:
    type: command
    path: twins/payments
    run: node server.js
    health: /healthz
    env:
      TWIN_MODE: sandbox \${env.id}
    docker: { dockerfile: twins/payments/Dockerfile, context: ., port: 9090 }
  mailer:
    type: command
    path: twins/mailer
    run: node server.js
    docker: { dockerfile: twins/mailer/Dockerfile, context: ., port: 2525 }
apps:
  api:
    path: apps/api
    start: node server.js
    health: /healthz
    env:
      CACHE_URL: \${services.cache.url}
      TWIN_URL: \${services.twin.url}
      TWIN_ADDRESS: \${services.twin.host}:\${services.twin.port}
      MAILER_URL: \${services.mailer.url}
    depends_on: [cache, twin, mailer]
    docker: { dockerfile: apps/api/Dockerfile, context: ., port: 8080 }
`;
}

/** The twin: POST /charges adds one (in memory), GET /charges lists them, /env shows its environment. */
const twinServer = `const http = require("node:http");
const charges = [];
http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (req.url === "/env") return res.end(JSON.stringify(process.env));
  if (req.url === "/charges" && req.method === "POST") {
    charges.push(charges.length + 1);
    console.log("twin charged #" + charges.length);
    return res.end(JSON.stringify(charges));
  }
  if (req.url === "/charges") return res.end(JSON.stringify(charges));
  res.writeHead(404).end();
}).listen(Number(process.env.PORT), process.env.HOST, () => console.log("twin listening on " + process.env.PORT));
process.on("SIGTERM", () => process.exit(0));
`;

/** A mail catcher stand-in: plain TCP, no health path (ready once it accepts connections). */
const mailerServer = `const net = require("node:net");
net.createServer((socket) => socket.on("error", () => undefined).end("220 mailer ready\\r\\n"))
  .listen(Number(process.env.PORT), process.env.HOST, () => console.log("mailer listening"));
process.on("SIGTERM", () => process.exit(0));
`;

/** api: /cache?set=v (SET) and /cache (GET) in redis; /charge and /charges through the twin; /mailer; /env. */
const apiServer = `const http = require("node:http");
const net = require("node:net");
function redis(args) {
  return new Promise((resolve, reject) => {
    const url = new URL(process.env.CACHE_URL);
    const socket = net.connect(Number(url.port), url.hostname);
    let buffer = "";
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write("*" + args.length + "\\r\\n" + args.map((a) => "$" + Buffer.byteLength(a) + "\\r\\n" + a + "\\r\\n").join("")),
    );
    socket.on("data", (data) => {
      buffer += data;
      const end = buffer.indexOf("\\r\\n");
      if (end < 0) return;
      const head = buffer.slice(0, end);
      if (head[0] === "$") {
        const length = Number(head.slice(1));
        if (length >= 0 && buffer.length < end + 4 + length) return;
        socket.end();
        return resolve(length < 0 ? null : buffer.slice(end + 2, end + 2 + length));
      }
      socket.end();
      if (head[0] === "-") reject(new Error(head.slice(1)));
      else resolve(head.slice(1));
    });
  });
}
function mailerGreeting() {
  return new Promise((resolve, reject) => {
    const url = new URL(process.env.MAILER_URL);
    const socket = net.connect(Number(url.port), url.hostname);
    let text = "";
    socket.on("data", (d) => (text += d)).on("end", () => resolve(text.trim())).on("error", reject);
  });
}
http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  try {
    if (url.pathname === "/healthz") return res.end("ok");
    if (url.pathname === "/env") return res.end(JSON.stringify(process.env));
    if (url.pathname === "/cache" && url.searchParams.has("set"))
      return res.end(String(await redis(["SET", "greeting", url.searchParams.get("set")])));
    if (url.pathname === "/cache") return res.end(JSON.stringify(await redis(["GET", "greeting"])));
    if (url.pathname === "/charge")
      return res.end(await fetch(process.env.TWIN_URL + "/charges", { method: "POST" }).then((r) => r.text()));
    if (url.pathname === "/charges")
      return res.end(await fetch("http://" + process.env.TWIN_ADDRESS + "/charges").then((r) => r.text()));
    if (url.pathname === "/mailer") return res.end(await mailerGreeting());
    res.writeHead(404).end();
  } catch (error) {
    res.writeHead(502).end(String(error));
  }
}).listen(Number(process.env.PORT), process.env.HOST, () => console.log("api listening on " + process.env.PORT));
process.on("SIGTERM", () => process.exit(0));
`;

const dockerfile = (baseImage: string, dir: string) => `FROM ${baseImage}
WORKDIR /srv
COPY ${dir}/ ./
USER node
CMD ["node", "server.js"]
`;

/** A scenario that only resets the data: loading it empties the cache and restarts the twin. */
const cleanScenario = `description: Nothing but a clean start
steps: []
`;

export function servicesFixtureFiles(
  options: { redisImage?: string; baseImage?: string } = {},
): Record<string, string> {
  const base = options.baseImage ?? "previewd-test-node:base";
  return {
    "preview.yaml": servicesManifest(options),
    ".dockerignore": "**/node_modules\n.git\n",
    "apps/api/server.js": apiServer,
    "apps/api/Dockerfile": dockerfile(base, "apps/api"),
    "twins/payments/server.js": twinServer,
    "twins/payments/Dockerfile": dockerfile(base, "twins/payments"),
    "twins/mailer/server.js": mailerServer,
    "twins/mailer/Dockerfile": dockerfile(base, "twins/mailer"),
    "seed-scenarios/clean.yaml": cleanScenario,
  };
}
