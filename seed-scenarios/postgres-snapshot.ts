/**
 * Resetting a Postgres database by cloning a template instead of re-running migrations:
 * right after the environment's first healthy start, `<db>` is copied to
 * `<db>__previewd_snapshot`; a reset drops `<db>` and creates it again from that copy. Cloning
 * takes ~170 ms, so previewd clones ahead: after each reset (and snapshot) it makes a spare copy,
 * `<db>__previewd_spare`, in the background, and the next reset is a drop and a rename (~20 ms).
 */
import type pg from "pg";
import { ConflictError } from "../provisioner/errors.ts";
import { databaseOf, retryWhileInUse, withAdminClient } from "./postgres-admin.ts";

export const snapshotSuffix = "__previewd_snapshot";
const spareSuffix = "__previewd_spare";

export function snapshotName(database: string): string {
  return `${database}${snapshotSuffix}`;
}

function spareName(database: string): string {
  return `${database}${spareSuffix}`;
}

/** The spare being made, by database URL: a reset or snapshot waits for it instead of racing it. */
const makingSpare = new Map<string, Promise<void>>();

/**
 * Starts making the spare copy of `url`'s snapshot unless there is one. Never fails: without a
 * spare the next reset clones the snapshot itself.
 */
function prepareSpare(url: string): void {
  if (makingSpare.has(url)) return;
  const database = databaseOf(url);
  const work = withAdminClient(url, async (client) => {
    if (!(await databaseExists(client, snapshotName(database)))) return;
    if (await databaseExists(client, spareName(database))) return;
    const spare = client.escapeIdentifier(spareName(database));
    const snapshot = client.escapeIdentifier(snapshotName(database));
    await retryWhileInUse(() => client.query(`CREATE DATABASE ${spare} TEMPLATE ${snapshot}`));
  })
    .catch(() => undefined)
    .finally(() => makingSpare.delete(url));
  makingSpare.set(url, work);
}

async function databaseExists(client: pg.Client, name: string): Promise<boolean> {
  const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return (found.rowCount ?? 0) > 0;
}

export async function hasSnapshot(url: string): Promise<boolean> {
  return withAdminClient(url, (client) => databaseExists(client, snapshotName(databaseOf(url))));
}

/** Takes (or retakes) the snapshot of the database `url` names. Its sessions are cut off; apps reconnect. */
export async function takeSnapshot(url: string): Promise<void> {
  const database = databaseOf(url);
  await makingSpare.get(url);
  await withAdminClient(url, async (client) => {
    const db = client.escapeIdentifier(database);
    const snapshot = client.escapeIdentifier(snapshotName(database));
    // The spare goes first: one that exists is always a copy of the current snapshot.
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(spareName(database))}`);
    await client.query(`DROP DATABASE IF EXISTS ${snapshot}`);
    // A template must have no sessions while it is copied: refuse new ones, end the current ones.
    await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    try {
      await retryWhileInUse(async () => {
        await terminateSessions(client, database);
        await client.query(`CREATE DATABASE ${snapshot} TEMPLATE ${db}`);
      });
    } finally {
      await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
    }
    // Nobody connects to the snapshot, so a reset never waits for it to be free.
    await client.query(`ALTER DATABASE ${snapshot} WITH ALLOW_CONNECTIONS false`);
  });
  prepareSpare(url);
}

/**
 * Back to the snapshot: drop the database (ending its sessions), then rename the spare copy in its
 * place, or, without one, clone the snapshot again. Then the next spare is made in the background.
 */
export async function resetToSnapshot(url: string): Promise<void> {
  const database = databaseOf(url);
  await makingSpare.get(url);
  await withAdminClient(url, async (client) => {
    const db = client.escapeIdentifier(database);
    const snapshot = client.escapeIdentifier(snapshotName(database));
    // Without a snapshot a drop would lose the migrated schema for good.
    if (!(await databaseExists(client, snapshotName(database)))) {
      throw new ConflictError(`database ${database} has no snapshot to reset to`);
    }
    const spare = (await databaseExists(client, spareName(database)))
      ? client.escapeIdentifier(spareName(database))
      : undefined;
    await retryWhileInUse(async () => {
      await client.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      if (spare) await client.query(`ALTER DATABASE ${spare} RENAME TO ${db}`);
      else await client.query(`CREATE DATABASE ${db} TEMPLATE ${snapshot}`);
    });
  });
  prepareSpare(url);
}

async function terminateSessions(client: pg.Client, database: string): Promise<void> {
  await client.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [database],
  );
}
