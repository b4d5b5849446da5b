/**
 * An agent adds a migration and redeploys: the data it had stays, and the next scenario load
 * starts from the schema after the new migration (previewd brings its snapshot up to date first),
 * the same data every time.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { dumpDatabase } from "../seed-scenarios/database-dump.ts";
import { snapshotName } from "../seed-scenarios/postgres-snapshot.ts";
import { postgresApi, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { labelledProcesses } from "./helpers/processes.ts";
import { createSeededRepo } from "./helpers/seeded-fixture.ts";

// The second commit's api: the same table, plus a migration that adds a column.
const migratedApi = postgresApi(
  `const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4, idleTimeoutMillis: 60_000 });
pool.on("error", (error) => console.error("idle client lost: " + error.message));
await pool.query("create table if not exists items (id serial primary key, name text not null, source text not null)");
await pool.query("alter table items add column if not exists color text");`,
  `    if (req.url === "/pid") return send(200, { pid: process.pid });
    if (req.url === "/items" && req.method === "POST") {
      let body = ""; for await (const chunk of req) body += chunk;
      const { rows } = await pool.query("insert into items (name, source) values ($1, 'http') returning id", [JSON.parse(body).name]);
      return send(201, rows[0]);
    }
    if (req.url === "/items") return send(200, (await pool.query("select name, color from items order by id")).rows.map((r) => r.color ? r.name + ":" + r.color : r.name));`,
);

const coloredScenario = `description: The base items and one with a colour, a column the second migration adds
extends: base
steps:
  - sql: { service: db, query: "insert into items (name, source, color) values ('red', 'query', 'crimson')" }
`;

let harness: Harness;
let repo: FixtureRepo;
let env: EnvironmentView;

beforeAll(async () => {
  repo = createSeededRepo();
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
  expect(labelledProcesses(env?.id ?? "none")).toEqual([]);
});

const api = () => harness.previewd.orchestrator.get(env.id).apps.api!.directUrl!;
const items = async () => (await (await fetch(`${api()}/items`)).json()) as string[];
const pid = async () => ((await (await fetch(`${api()}/pid`)).json()) as { pid: number }).pid;
const dbUrl = () => harness.previewd.orchestrator.record(env.id).deployment!.services.db!.url;
const load = (name: string) =>
  harness.request<EnvironmentView & { detail?: string }>("POST", `/v1/environments/${env.id}/scenario`, {
    name,
  });

async function columns(table: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: dbUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ column_name: string }>(
      "select column_name from information_schema.columns where table_name = $1 order by ordinal_position",
      [table],
    );
    return rows.map((row) => row.column_name);
  } finally {
    await client.end();
  }
}

describe("redeploying a commit that adds a migration", () => {
  let redeployedPid: number;

  it("keeps the data and migrates it in place", async () => {
    const created = await harness.create({ repo: repo.dir, ref: "main" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    env = created.body;
    expect(env).toMatchObject({ status: "ready", scenario: "base" });
    await fetch(`${api()}/items`, { method: "POST", body: JSON.stringify({ name: "kept" }) });
    const before = await pid();

    repo.commit(
      { "apps/api/server.js": migratedApi, "seed-scenarios/colored.yaml": coloredScenario },
      "add a colour column",
    );
    expect((await harness.request("POST", `/v1/environments/${env.id}/redeploy`)).status).toBe(202);
    await harness.previewd.orchestrator.idle();
    expect(harness.previewd.orchestrator.get(env.id)).toMatchObject({ status: "ready", scenario: "base" });
    redeployedPid = await pid();
    expect(redeployedPid).not.toBe(before);
    expect(await items()).toEqual(["a", "b", "kept"]);
    expect(await columns("items")).toEqual(["id", "name", "source", "color"]);
  });

  it("the next load starts from the new schema: a scenario can use the new column", async () => {
    const reply = await load("colored");
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(await items()).toEqual(["a", "b", "red:crimson"]);
    // The snapshot was brought up to date by restarting the api on the reset data, once.
    expect(await pid()).not.toBe(redeployedPid);
    const messages = harness.previewd.orchestrator.events(env.id).map((e) => e.message);
    expect(messages).toContain("refreshing the snapshot: api changed since it was taken");
  });

  it("gives identical data on every load, with no further restart", async () => {
    const first = await dumpDatabase(dbUrl());
    const apiPid = await pid();
    expect((await load("empty")).status).toBe(200);
    expect(await columns("items")).toEqual(["id", "name", "source", "color"]);
    for (let round = 0; round < 2; round++) {
      expect((await load("colored")).status).toBe(200);
      expect(await dumpDatabase(dbUrl())).toBe(first);
    }
    expect(await pid()).toBe(apiPid);
    const messages = harness.previewd.orchestrator.events(env.id).map((e) => e.message);
    expect(messages.some((m) => m.startsWith("refreshing the snapshot"))).toBe(false);
  });
});

describe("redeploying a commit that adds a Postgres service", () => {
  it("snapshots the new service, and leaves the snapshot of the one that kept running as it was", async () => {
    const url = (service: string) =>
      harness.previewd.orchestrator.record(env.id).deployment!.services[service]!.url;
    const snapshotOid = async (service: string, database: string) => {
      const client = new pg.Client({ connectionString: url(service) });
      await client.connect();
      try {
        const found = await client.query<{ oid: number }>("SELECT oid FROM pg_database WHERE datname = $1", [
          snapshotName(database),
        ]);
        return found.rows[0]?.oid;
      } finally {
        await client.end();
      }
    };
    const kept = await snapshotOid("db", "items");
    expect(kept).toBeDefined();
    const manifest = readFileSync(path.join(repo.dir, "preview.yaml"), "utf8");
    const added = manifest.replace(
      "services:\n",
      "services:\n  audit: { type: postgres, database: audit }\n",
    );
    expect(added).not.toBe(manifest);
    repo.commit({ "preview.yaml": added }, "add an audit database");
    expect((await harness.request("POST", `/v1/environments/${env.id}/redeploy`)).status).toBe(202);
    await harness.previewd.orchestrator.idle();
    expect(harness.previewd.orchestrator.get(env.id).status).toBe("ready");
    expect(await snapshotOid("audit", "audit")).toBeDefined();
    expect(await snapshotOid("db", "items")).toBe(kept);
  });
});
