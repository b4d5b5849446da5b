/**
 * A fixture monorepo with just a `web` app (no database, so it provisions in about a second)
 * whose pages exercise a browser: a counter button, a page with console errors, an uncaught
 * exception and a missing resource.
 */
import { createFixtureRepo, type FixtureRepo } from "./fixture-monorepo.ts";

const manifest = `version: 1
name: browser
apps:
  web:
    path: apps/web
    start: node server.js
    health: /healthz
`;

const server = `import http from "node:http";
const counter = '<h1 id=version>main</h1><button id=inc>+1</button> <span id=count>0</span>' +
  '<script>document.getElementById("inc").onclick = () => { const c = document.getElementById("count"); c.textContent = String(Number(c.textContent) + 1); };</script>';
const errors = '<h1 id=errors>errors</h1><img src="/missing.png">' +
  '<script>console.error("boom from the page"); setTimeout(() => { throw new Error("uncaught in the page"); });</script>';
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); return res.end("ok"); }
  if (req.url === "/errors") { res.writeHead(200, { "content-type": "text/html" }); return res.end(errors); }
  if (req.url === "/" || req.url.startsWith("/?")) { res.writeHead(200, { "content-type": "text/html" }); return res.end(counter); }
  res.writeHead(404); res.end("not found");
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

export function createBrowserFixture(): FixtureRepo {
  return createFixtureRepo({ files: { "preview.yaml": manifest, "apps/web/server.js": server } });
}
