import http from "node:http";
import { closeCounters, connectCounters } from "./counters.js";
import { pool } from "./database.js";
import { handle } from "./routes.js";

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "127.0.0.1";

await connectCounters();
const server = http.createServer((req, res) => {
  const started = Date.now();
  res.on("finish", () => console.log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));
  void handle(req, res);
});
server.listen(port, host, () => console.log(`api listening on http://${host}:${port}`));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    server.close();
    server.closeIdleConnections();
    void Promise.all([pool.end(), closeCounters()]).then(() => process.exit(0));
  });
}
