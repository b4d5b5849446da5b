// Serves the built page (dist/) on PORT and HOST, with /healthz: no dependencies, so the runtime
// image needs only Node and dist/.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "dist");
const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? "127.0.0.1";
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
};

async function fileFor(urlPath) {
  const file = path.join(root, path.normalize(decodeURIComponent(urlPath)));
  if (!file.startsWith(root)) return undefined;
  const found = await stat(file).catch(() => undefined);
  if (found?.isFile()) return file;
  // Any other path is the single page.
  return path.join(root, "index.html");
}

const server = http.createServer(async (req, res) => {
  const { pathname } = new URL(req.url ?? "/", "http://localhost");
  if (pathname === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    return;
  }
  const file = await fileFor(pathname);
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  const type = types[path.extname(file)] ?? "application/octet-stream";
  const cache = file.includes(`${path.sep}assets${path.sep}`)
    ? "public, max-age=31536000, immutable"
    : "no-cache";
  res.writeHead(200, { "content-type": type, "cache-control": cache });
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
});

server.listen(port, host, () => console.log(`web listening on http://${host}:${port}`));
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => server.close(() => process.exit(0)));
