/**
 * Resetting a Postgres database by cloning a template instead of re-running migrations:
 * right after the environment's first healthy start, `<db>` is copied to
 * `<db>__previewd_snapshot`; a reset drops `<db>` and creates it again from that copy.
 */
import type pg from "pg";
import { ConflictError } from "../provisioner/errors.ts";
import { databaseOf, retryWhileInUse, withAdminClient } from "./postgres-admin.ts";

export const snapshotSuffix = "__previewd_snapshot";

export function snapshotName(database: string): string {
  return `${database}${snapshotSuffix}`;
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
  await withAdminClient(url, async (client) => {
    const db = client.escapeIdentifier(database);
    const snapshot = client.escapeIdentifier(snapshotName(database));
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
}

/** Back to the snapshot: drop the database (ending its sessions) and clone it again. */
export async function resetToSnapshot(url: string): Promise<void> {
  const database = databaseOf(url);
  await withAdminClient(url, async (client) => {
    const db = client.escapeIdentifier(database);
    const snapshot = client.escapeIdentifier(snapshotName(database));
    // Without a snapshot a drop would lose the migrated schema for good.
    if (!(await databaseExists(client, snapshotName(database)))) {
      throw new ConflictError(`database ${database} has no snapshot to reset to`);
    }
    await retryWhileInUse(async () => {
      await client.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${db} TEMPLATE ${snapshot}`);
    });
  });
}

async function terminateSessions(client: pg.Client, database: string): Promise<void> {
  await client.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [database],
  );
}
