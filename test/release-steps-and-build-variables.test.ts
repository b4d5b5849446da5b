/**
 * An app with a `release` (a migration) after its database is up and before it starts, a build
 * that bakes its `build_env` and the top-level `env`, and the rebuild rules: a change to `env`
 * restarts the app (and releases again) without a build; a change to `build_env` rebuilds it.
 * Real processes, a real Postgres, through the API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { labelledProcesses } from "./helpers/processes.ts";
import { vendorModules } from "./helpers/vendored-modules.ts";

const manifest = (options: { greeting?: string; baked?: string; release?: string } = {}) => `version: 1
name: relfix
env:
  SHARED_FLAG: "on"
services:
  db: { type: postgres }
apps:
  api:
    path: apps/api
    build: node build.js
    build_env:
      BAKED: ${options.baked ?? "one"}
      PUBLIC_URL: \${apps.api.url}
    release: ${options.release ?? "node migrate.js"}
    start: node server.js
    health: /healthz
    env:
      DATABASE_URL: \${services.db.url}
      GREETING: ${options.greeting ?? "hello"}
    depends_on: [db]
`;

const files = {
  ".gitignore": "dist/\n",
  "apps/api/build.js": `const fs = require("node:fs");
fs.mkdirSync(__dirname + "/dist", { recursive: true });
const { BAKED, PUBLIC_URL, SHARED_FLAG } = process.env;
fs.writeFileSync(__dirname + "/dist/build.json", JSON.stringify({ baked: BAKED, url: PUBLIC_URL, shared: SHARED_FLAG, stamp: Math.random() }));
console.log("built with " + BAKED);
`,
  "apps/api/migrate.js": `const pg = require("pg");
const os = require("node:os");
(async () => {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query("create table if not exists releases (greeting text, at timestamptz default now())");
  await client.query("insert into releases (greeting) values ($1)", [process.env.GREETING]);
  await client.end();
  console.log("migrated for " + process.env.GREETING + " as " + os.userInfo().username + " port " + process.env.PORT);
})().catch((error) => { console.error(error.message); process.exit(1); });
`,
  "apps/api/server.js": `const http = require("node:http");
const fs = require("node:fs");
const os = require("node:os");
const pg = require("pg");
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const built = fs.readFileSync(__dirname + "/dist/build.json", "utf8");
// Without its release the table is missing: the app refuses to start.
pool.query("select greeting from releases order by at").then(() => {
  http.createServer(async (req, res) => {
    if (req.url === "/healthz") return res.end("ok");
    if (req.url === "/built") return res.end(built);
    if (req.url === "/info") return res.end(JSON.stringify({ pid: process.pid, greeting: process.env.GREETING, user: os.userInfo().username }));
    if (req.url === "/releases") {
      const { rows } = await pool.query("select greeting from releases order by at");
      return res.end(JSON.stringify(rows.map((r) => r.greeting)));
    }
    res.writeHead(404).end();
  }).listen(Number(process.env.PORT), "127.0.0.1");
}, (error) => { console.error("no releases table: " + error.message); process.exit(1); });
process.on("SIGTERM", () => process.exit(0));
`,
};

let harness: Harness;
let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitRepo({ "preview.yaml": manifest(), ...files });
  vendorModules(repo.dir, ["pg"]);
  await repo.git("add", "-f", "node_modules");
  await repo.git("commit", "-qm", "vendor pg");
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

const events = (id: string) => harness.previewd.orchestrator.events(id);
const index = (list: EnvironmentEvent[], step: string, status: string, app?: string) =>
  list.findIndex((e) => e.step === step && e.status === status && (app === undefined || e.app === app));
const json = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

async function redeploy(id: string): Promise<EnvironmentView> {
  const reply = await harness.request<EnvironmentView>(
    "POST",
    `/v1/environments/${id}/redeploy?wait=true&timeout=120`,
  );
  expect(reply.body.error, JSON.stringify(reply.body.error)).toBeNull();
  expect(reply.body.status).toBe("ready");
  return reply.body;
}

describe("a release step", () => {
  let env: EnvironmentView;

  it("runs after the database is up and before the app starts, with the app's environment, as its user", async () => {
    const created = await harness.create({ repo: repo.dir, ref: "main" });
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    const list = events(env.id);
    expect(index(list, "services", "succeeded", "db")).toBeGreaterThanOrEqual(0);
    expect(index(list, "services", "succeeded", "db")).toBeLessThan(index(list, "release", "started", "api"));
    expect(index(list, "release", "succeeded", "api")).toBeLessThan(index(list, "start", "started", "api"));
    expect(index(list, "build", "succeeded", "api")).toBeLessThan(index(list, "release", "started", "api"));

    const api = env.apps.api!.directUrl!;
    expect(await json(`${api}/releases`)).toEqual(["hello"]);
    const info = await json<{ user: string }>(`${api}/info`);
    const port = new URL(api).port;
    const logs = await (
      await fetch(`${harness.url}/v1/environments/${env.id}/logs?app=api&grep=migrated`)
    ).text();
    expect(logs).toContain(`migrated for hello as ${info.user} port ${port}`);
  });

  it("bakes the build environment: the top-level env and build_env, interpolated", async () => {
    const built = await json<{ baked: string; url: string; shared: string }>(
      `${env.apps.api!.directUrl}/built`,
    );
    expect(built).toMatchObject({ baked: "one", url: env.apps.api!.url, shared: "on" });
  });

  it("restarts and releases again, without a build, when only the app's env changed", async () => {
    const before = await json<{ pid: number }>(`${env.apps.api!.directUrl}/info`);
    const built = await (await fetch(`${env.apps.api!.directUrl}/built`)).text();
    await repo.commit({ "preview.yaml": manifest({ greeting: "bonjour" }) }, "greet in French");
    const updated = await redeploy(env.id);
    expect(updated.timings.build).toBe(0);
    const list = events(env.id);
    expect(list.filter((e) => e.step === "build" && e.status === "started")).toEqual([]);
    expect(index(list, "release", "succeeded", "api")).toBeGreaterThanOrEqual(0);
    const after = await json<{ pid: number; greeting: string }>(`${updated.apps.api!.directUrl}/info`);
    expect(after.pid).not.toBe(before.pid);
    expect(after.greeting).toBe("bonjour");
    expect(await (await fetch(`${updated.apps.api!.directUrl}/built`)).text()).toBe(built);
    expect(await json(`${updated.apps.api!.directUrl}/releases`)).toEqual(["hello", "bonjour"]);
    env = updated;
  });

  it("rebuilds when build_env changed, and the new value is baked in", async () => {
    await repo.commit({ "preview.yaml": manifest({ greeting: "bonjour", baked: "two" }) }, "bake two");
    const updated = await redeploy(env.id);
    expect(index(events(env.id), "build", "succeeded", "api")).toBeGreaterThanOrEqual(0);
    expect(updated.timings.build).toBeGreaterThan(0);
    const built = await json<{ baked: string }>(`${updated.apps.api!.directUrl}/built`);
    expect(built.baked).toBe("two");
  });

  it("fails the environment with the release's output when it exits non-zero, and leaves nothing running", async () => {
    const broken = `console.log("checking schema"); console.error("migration 42 broke"); process.exit(3);\n`;
    await repo.commit(
      {
        "preview.yaml": manifest({ release: "node broken-migrate.js" }),
        "apps/api/broken-migrate.js": broken,
      },
      "broken release",
      "broken",
    );
    const created = await harness.create({ repo: repo.dir, ref: "broken" });
    expect(created.body.status).toBe("failed");
    expect(created.body.error).toMatchObject({ step: "release", app: "api" });
    expect(created.body.error?.message).toContain("exited with code 3");
    expect(created.body.error?.logTail).toEqual(
      expect.arrayContaining(["checking schema", "migration 42 broke"]),
    );
    expect(index(events(created.body.id), "start", "started", "api")).toBe(-1);
    expect(labelledProcesses(created.body.id)).toEqual([]);
  });
});
