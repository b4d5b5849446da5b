/**
 * The Postgres reset under scenario switches, on a real server: a reset gives exactly the
 * snapshot back however fast resets follow each other (spares made ahead, the old database renamed
 * away and dropped later), a retaken snapshot never lets an older spare in, databases keep their
 * own copies, and `sql` steps sharing a connection still start as in a session of their own.
 */
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpDatabase } from "../seed-scenarios/database-dump.ts";
import type { ResolvedScenario, ResolvedStep } from "../seed-scenarios/load-scenario.ts";
import { resetToSnapshot, takeSnapshot } from "../seed-scenarios/postgres-snapshot.ts";
import { runSteps } from "../seed-scenarios/run-steps.ts";
import type { SeedTarget } from "../seed-scenarios/seed-target.ts";
import { SqlSessions } from "../seed-scenarios/sql-sessions.ts";
import { startTestCluster, type TestCluster } from "./helpers/postgres-cluster.ts";
import { eventually } from "./helpers/processes.ts";

let cluster: TestCluster | undefined;
let url: string;

beforeAll(async () => {
  cluster = await startTestCluster("scenario-reset", "shop");
  url = cluster.url;
  await query(url, "CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL)");
  await query(url, "INSERT INTO products (name) VALUES ('migrated')");
  await takeSnapshot(url);
}, 60_000);

afterAll(async () => cluster?.stop());

async function query(target: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: target });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

const on = (database: string) => Object.assign(new URL(url), { pathname: `/${database}` }).toString();
const databases = async () =>
  (await query(on("postgres"), "SELECT datname FROM pg_database ORDER BY 1")).rows.map(
    (r) => r.datname as string,
  );

describe("resetting to the snapshot", () => {
  it("gives exactly the snapshot back, switch after switch, with an app's sessions open", async () => {
    const snapshot = await dumpDatabase(url);
    const app = new pg.Pool({ connectionString: url, max: 2 });
    app.on("error", () => undefined);
    try {
      for (let round = 0; round < 6; round++) {
        // Back to back: the spares made after the last reset may still be being made.
        await app.query(`INSERT INTO products (name) VALUES ('left over ${round}')`);
        await app.query("CREATE TABLE IF NOT EXISTS made_by_a_step (id int)");
        await resetToSnapshot(url);
        expect(await dumpDatabase(url)).toBe(snapshot);
        const tables = await query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
        expect(tables.rows.map((r) => r.tablename)).toEqual(["products"]);
      }
    } finally {
      await app.end();
    }
    // Once upkeep settles: two spares, the databases moved out of the way dropped.
    await eventually(async () => {
      expect(await databases()).toEqual(
        expect.arrayContaining([
          "shop",
          "shop__previewd_snapshot",
          "shop__previewd_spare",
          "shop__previewd_spare2",
        ]),
      );
      expect((await databases()).filter((name) => name.startsWith("shop__previewd_old"))).toEqual([]);
    }, 20_000);
  });

  it("drops a database a crash left moved out of the way", async () => {
    await query(on("postgres"), "CREATE DATABASE shop__previewd_old_crashed");
    await resetToSnapshot(url);
    await eventually(
      async () => expect(await databases()).not.toContain("shop__previewd_old_crashed"),
      20_000,
    );
  });

  it("after the snapshot is retaken, a reset never puts in a spare of the old one", async () => {
    await resetToSnapshot(url);
    await query(url, "ALTER TABLE products ADD COLUMN price int NOT NULL DEFAULT 7");
    await takeSnapshot(url);
    await query(url, "INSERT INTO products (name) VALUES ('after')");
    await resetToSnapshot(url);
    const columns = await query(
      url,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'products'",
    );
    expect(columns.rows.map((r) => r.column_name).sort()).toEqual(["id", "name", "price"]);
    expect((await query(url, "SELECT name FROM products")).rows).toEqual([{ name: "migrated" }]);
  });

  it("keeps each database's copies apart: resetting one leaves another on the same server alone", async () => {
    await query(on("postgres"), "CREATE DATABASE other");
    const other = on("other");
    await query(other, "CREATE TABLE notes (body text)");
    await takeSnapshot(other);
    await query(other, "INSERT INTO notes VALUES ('kept')");
    await query(url, "INSERT INTO products (name) VALUES ('gone')");
    await resetToSnapshot(url);
    expect((await query(other, "SELECT body FROM notes")).rows).toEqual([{ body: "kept" }]);
    expect((await query(url, "SELECT name FROM products")).rows).toEqual([{ name: "migrated" }]);
    await eventually(async () => {
      expect(await databases()).toEqual(
        expect.arrayContaining(["other__previewd_spare", "shop__previewd_spare", "shop__previewd_spare2"]),
      );
    }, 20_000);
    expect(await databases()).not.toContain("other__previewd_spare2");
  });
});

describe("sql steps sharing one connection", () => {
  const target = (): SeedTarget => ({
    postgresServices: ["db"],
    redisServices: [],
    commandServices: [],
    sqlUrl: () => url,
    redisUrl: () => "redis://unused",
    restartService: () => Promise.reject(new Error("no services here")),
    appUrl: () => "http://unused",
    exec: () => Promise.reject(new Error("no commands here")),
  });
  const scenario = (queries: string[]): ResolvedScenario => ({
    name: "t",
    file: "seed-scenarios/t.yaml",
    description: "",
    extends: null,
    chain: ["t"],
    flags: {},
    checksum: "sha256:x",
    steps: queries.map((sql, index): ResolvedStep => ({
      kind: "sql",
      service: "db",
      sql,
      source: "query",
      index,
      file: "seed-scenarios/t.yaml",
      fileIndex: index,
    })),
  });

  it("each step starts as in a session of its own: no settings, temporary tables or open transaction carried over", async () => {
    await resetToSnapshot(url);
    const sessions = new SqlSessions();
    const outputs: string[] = [];
    try {
      await runSteps(
        scenario([
          "SET search_path TO nowhere; CREATE TEMP TABLE scratch (x int); BEGIN; INSERT INTO public.products (name) VALUES ('uncommitted')",
          "INSERT INTO products (name) SELECT current_setting('search_path') WHERE to_regclass('pg_temp.scratch') IS NULL",
        ]),
        target(),
        {
          signal: new AbortController().signal,
          sessions,
          onStep: (event) => void (event.status !== "started" && outputs.push(event.message)),
        },
      );
    } finally {
      await sessions.close();
    }
    const names = (await query(url, "SELECT name FROM products ORDER BY id")).rows.map(
      (r) => r.name as string,
    );
    expect(names).toEqual(["migrated", '"$user", public']);
    expect(outputs).toHaveLength(2);
  });

  it("a session opened ahead and cut off before its first use (a snapshot taken again) is opened anew", async () => {
    const others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()";
    const sessions = new SqlSessions();
    try {
      sessions.open(url);
      await eventually(async () =>
        expect((await query(url, `SELECT count(*)::int AS n ${others}`)).rows[0].n).toBe(1),
      );
      await query(url, `SELECT pg_terminate_backend(pid) ${others}`);
      await sleep(200); // Its end reaches the client.
      const client = await sessions.take(url);
      expect((await client.query("SELECT 1 AS one")).rows[0].one).toBe(1);
    } finally {
      await sessions.close();
    }
  });
});
