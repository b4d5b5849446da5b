/**
 * A snapshot taken ahead (while an app that does not use the database still builds) stands at the
 * end of provisioning only if nothing wrote to the database since, on a real server: a committed
 * write, a write to an unlogged table or one still under way makes it stale; sessions that only
 * read, or that reconnect, do not.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dumpDatabase } from "../seed-scenarios/database-dump.ts";
import {
  resetToSnapshot,
  snapshotStillCurrent,
  takeSnapshotAhead,
} from "../seed-scenarios/postgres-snapshot.ts";
import { startTestCluster, type TestCluster } from "./helpers/postgres-cluster.ts";
import { eventually } from "./helpers/processes.ts";

let cluster: TestCluster | undefined;
let url: string;
/** An app's connections, open across the snapshots (they are cut and come back). */
let app: pg.Pool;

beforeAll(async () => {
  cluster = await startTestCluster("snapshot-ahead", "shop");
  url = cluster.url;
  app = new pg.Pool({ connectionString: url, max: 2 });
  app.on("error", () => undefined);
  await app.query("CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL)");
  await app.query("CREATE UNLOGGED TABLE visits (at timestamptz)");
  await app.query("INSERT INTO products (name) VALUES ('migrated')");
}, 60_000);

afterAll(async () => {
  await app?.end();
  await cluster?.stop();
});

/** The app's next query, once its pool has replaced the connections the snapshot cut. */
async function appQuery(sql: string): Promise<pg.QueryResult> {
  return eventually(() => app.query(sql), 5_000);
}

const databases = async () =>
  (await app.query<{ datname: string }>("SELECT datname FROM pg_database")).rows.map((r) => r.datname);

describe("a snapshot taken ahead", () => {
  it("stands while the apps only read and reconnect, and then gets its spare", async () => {
    const next = await takeSnapshotAhead(url);
    expect(next).toMatch(/^\d+$/);
    expect((await appQuery("SELECT count(*) AS n FROM products")).rows[0].n).toBe("1");
    expect(await snapshotStillCurrent(url, next!)).toBe(true);
    await eventually(async () => expect(await databases()).toContain("shop__previewd_spare"), 5_000);
    await appQuery("INSERT INTO products (name) VALUES ('seeded')");
    await resetToSnapshot(url);
    expect((await appQuery("SELECT name FROM products")).rows).toEqual([{ name: "migrated" }]);
  });

  it.each([
    ["a committed write", "INSERT INTO products (name) VALUES ('written at boot')"],
    ["a write to an unlogged table", "INSERT INTO visits VALUES (now())"],
    ["a change to the schema", "CREATE TABLE made_at_boot (id int)"],
  ])("is stale after %s", async (_, sql) => {
    const next = await takeSnapshotAhead(url);
    await appQuery(sql);
    expect(await snapshotStillCurrent(url, next!)).toBe(false);
  });

  it("is stale while a write is under way", async () => {
    const next = await takeSnapshotAhead(url);
    const writer = await eventually(() => app.connect(), 5_000);
    try {
      await writer.query("BEGIN");
      await writer.query("INSERT INTO products (name) VALUES ('not yet committed')");
      expect(await snapshotStillCurrent(url, next!)).toBe(false);
    } finally {
      await writer.query("ROLLBACK").catch(() => undefined);
      writer.release();
    }
  });

  it("holds what the database held when it was taken", async () => {
    const before = await dumpDatabase(url);
    const next = await takeSnapshotAhead(url);
    expect(await snapshotStillCurrent(url, next!)).toBe(true);
    await appQuery("DELETE FROM products");
    await resetToSnapshot(url);
    expect(await dumpDatabase(url)).toBe(before);
  });
});
