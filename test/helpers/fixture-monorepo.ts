/**
 * A small real monorepo for end-to-end suites: an `api` on Postgres and a `web` page that
 * shows which branch's code it runs, plus a WebSocket echo. Plain JavaScript, no install step:
 * `pg` and `ws` are committed in the repo's own node_modules (vendored-modules.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { vendorModules } from "./vendored-modules.ts";

export function fixtureManifest(options: { webStart?: string } = {}): string {
  return manifest.replace("start: node server.js # web", `start: ${options.webStart ?? "node server.js"}`);
}

export const manifest = `version: 1
name: fixture
services:
  db:
    type: postgres
apps:
  api:
    path: apps/api
    start: node server.js
    health: /healthz
    env:
      DATABASE_URL: \${services.db.url}
    depends_on: [db]
  web:
    path: apps/web
    start: node server.js # web
    health: /healthz
    env:
      API_URL: \${apps.api.internalUrl}
    depends_on: [api]
flags:
  greeting: { type: string, default: hello }
`;

/** `pg`, loaded by the fixtures' apps by absolute path (they have no install step). */
export const pgModule = JSON.stringify("pg");

/**
 * A plain JavaScript api on Postgres: `setup` makes `pool` (and its tables); `routes` are
 * statements inside the request handler that answer with `send(status, body)`. /healthz is built in.
 */
export function postgresApi(setup: string, routes: string): string {
  return `import http from "node:http";
import pg from ${pgModule};
${setup}
const server = http.createServer(async (req, res) => {
  const send = (status, body) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(body)); };
  try {
    if (req.url === "/healthz") return send(200, { ok: true });
${routes}
    send(404, { error: "not found" });
  } catch (error) { send(500, { error: String(error) }); }
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("api listening on " + process.env.PORT));
process.on("SIGTERM", () => { server.close(); pool.end(); });
`;
}

const apiServer = postgresApi(
  `const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
await pool.query("create table if not exists notes (id serial primary key, text text not null)");`,
  `    if (req.url === "/info") return send(200, { pid: process.pid, env: process.env });
    if (req.url === "/notes" && req.method === "POST") {
      let body = ""; for await (const chunk of req) body += chunk;
      const { rows } = await pool.query("insert into notes (text) values ($1) returning id", [JSON.parse(body).text]);
      return send(201, rows[0]);
    }
    if (req.url === "/notes") return send(200, (await pool.query("select text from notes order by id")).rows.map((r) => r.text));`,
);

const webServer = `import http from "node:http";
import { readFileSync } from "node:fs";
import { WebSocketServer } from "ws";
const version = readFileSync(new URL("./version.txt", import.meta.url), "utf8").trim();
const server = http.createServer(async (req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); return res.end("ok"); }
  if (req.url === "/info") { res.writeHead(200, { "content-type": "application/json" }); return res.end(JSON.stringify({ pid: process.pid, env: process.env })); }
  const notes = await fetch(process.env.API_URL + "/notes").then((r) => r.json()).catch((e) => [String(e)]);
  res.writeHead(200, { "content-type": "text/html" });
  res.end("<h1 id=version>" + version + "</h1><p id=host>" + req.headers.host + "</p><ul>" + notes.map((n) => "<li>" + n + "</li>").join("") + "</ul>");
});
new WebSocketServer({ server, path: "/ws" }).on("connection", (socket) => socket.on("message", (m) => socket.send("echo:" + m)));
server.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("web listening on " + process.env.PORT));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

export interface FixtureRepo {
  dir: string;
  git(...args: string[]): string;
  /** Write files and commit them on the current branch; returns the new commit. */
  commit(files: Record<string, string>, message: string): string;
  /** Create (or switch to) a branch. */
  checkout(branch: string, create?: boolean): void;
}

export function createFixtureRepo(
  options: { version?: string; webStart?: string; files?: Record<string, string> } = {},
): FixtureRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-fixture-"));
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      encoding: "utf8",
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      },
    }).trim();
  const write = (files: Record<string, string>) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
  };
  const repo: FixtureRepo = {
    dir,
    git,
    commit(files, message) {
      write(files);
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "HEAD");
    },
    checkout(branch, create = false) {
      git("checkout", "-q", ...(create ? ["-b"] : []), branch);
    },
  };
  git("init", "-q", "-b", "main");
  vendorModules(dir, ["pg", "ws"]);
  // Committed even where the fixture ignores node_modules (what an install adds stays untracked).
  git("add", "-f", "node_modules");
  repo.commit(
    {
      "preview.yaml": fixtureManifest(options),
      "apps/api/server.js": apiServer,
      "apps/web/server.js": webServer,
      "apps/web/version.txt": options.version ?? "main",
      ...options.files,
    },
    "initial",
  );
  return repo;
}
