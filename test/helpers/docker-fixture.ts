/**
 * A small monorepo for the docker runtime: `api` (talks to its Postgres over the network and can
 * probe other names) and `web` (calls api by its container name), each built from a two-line
 * Dockerfile on the local Node base image, so builds take a second or two.
 */
import { createGitRepo, type GitFixture } from "./git-fixture.ts";

/** The tag the fixture Dockerfiles start from (see docker-base-image.ts); never pulled. */
export const fixtureBaseImage = "previewd-test-node:base";

export const dockerManifest = `version: 1
name: dockfix
services:
  db: { type: postgres, database: app }
apps:
  api:
    path: apps/api
    health: /healthz
    env:
      DATABASE_URL: \${services.db.url}
    depends_on: [db]
    docker: { dockerfile: apps/api/Dockerfile, context: ., port: 8080, memory: 256m, pids: 128 }
  web:
    path: apps/web
    health: /healthz
    env:
      API_URL: \${apps.api.internalUrl}
    depends_on: [api]
    docker: { dockerfile: apps/web/Dockerfile, context: ., port: 8081 }
flags:
  banner: { type: string, default: hello }
`;

/** api: /healthz; /db (TCP to the database host); /flags (OFREP bulk evaluation); /probe?url= (GET anything); /env. */
const apiServer = `const http = require("node:http");
const net = require("node:net");
const db = new URL(process.env.DATABASE_URL);
http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://x");
  if (url.pathname === "/healthz") return res.end("ok");
  if (url.pathname === "/env") return res.end(JSON.stringify(process.env));
  if (url.pathname === "/db") {
    const socket = net.connect(Number(db.port), db.hostname);
    socket.on("connect", () => { socket.destroy(); res.end("db reachable at " + db.hostname); });
    socket.on("error", (e) => { res.statusCode = 502; res.end(String(e)); });
    return;
  }
  if (url.pathname === "/flags") {
    const token = process.env.PREVIEW_FLAGS_TOKEN;
    try {
      const r = await fetch(process.env.PREVIEW_FLAGS_URL + "/ofrep/v1/evaluate/flags", {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { authorization: "Bearer " + token }) },
        body: JSON.stringify({ context: {} }),
      });
      res.statusCode = r.status;
      return res.end(await r.text());
    } catch (e) { res.statusCode = 599; return res.end("unreachable: " + (e.cause?.code ?? e.message)); }
  }
  if (url.pathname === "/probe") {
    try {
      const r = await fetch(url.searchParams.get("url"), { signal: AbortSignal.timeout(3000) });
      return res.end("reached " + r.status);
    } catch (e) { res.statusCode = 502; return res.end("unreachable: " + (e.cause?.code ?? e.message)); }
  }
  console.log("api", req.method, req.url);
  res.end("api " + require("./version.txt.js"));
}).listen(Number(process.env.PORT), "0.0.0.0", () => console.log("api listening on " + process.env.PORT));
`;

const webServer = `const http = require("node:http");
http.createServer(async (req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  const api = await fetch(process.env.API_URL + "/").then((r) => r.text(), (e) => "api unreachable: " + e.message);
  console.log("web served " + req.url);
  res.end("<h1>web " + require("./version.txt.js") + "</h1><p>" + api + "</p>");
}).listen(Number(process.env.PORT), "0.0.0.0", () => console.log("web listening on " + process.env.PORT));
`;

const dockerfile = (app: string) => `FROM ${fixtureBaseImage}
WORKDIR /app
COPY apps/${app}/ ./
USER node
CMD ["node", "server.js"]
`;

export function dockerFixtureFiles(version = "v1"): Record<string, string> {
  return {
    "preview.yaml": dockerManifest,
    ".dockerignore": "**/node_modules\n.git\n",
    "apps/api/server.js": apiServer,
    "apps/api/version.txt.js": `module.exports = "${version}";\n`,
    "apps/api/Dockerfile": dockerfile("api"),
    "apps/web/server.js": webServer,
    "apps/web/version.txt.js": `module.exports = "${version}";\n`,
    "apps/web/Dockerfile": dockerfile("web"),
  };
}

export function createDockerFixture(version = "v1"): Promise<GitFixture> {
  return createGitRepo(dockerFixtureFiles(version));
}
