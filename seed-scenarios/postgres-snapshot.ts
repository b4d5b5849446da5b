/**
 * Resetting a Postgres database by cloning a template instead of re-running migrations:
 * right after the environment's first healthy start, `<db>` is copied to
 * `<db>__previewd_snapshot`; a reset puts a copy of it in place of `<db>`. Cloning takes
 * ~50–200 ms, so previewd clones ahead, in the background: a spare copy `<db>__previewd_spare`,
 * and once the database was reset, a second (`…_spare2`) for switches back to back. A reset is
 * two renames: `<db>` out of the way (to `<db>__previewd_old…`, dropped in the background, as a
 * drop waits for a checkpoint) and a spare in.
 */
import type pg from "pg";
import { ConflictError } from "../provisioner/errors.ts";
import { databaseOf, retryWhileInUse, withAdminClient } from "./postgres-admin.ts";

export const snapshotSuffix = "__previewd_snapshot";
/** The first is used first, so a single reset always takes `<db>__previewd_spare`. */
const spareSuffixes = ["__previewd_spare", "__previewd_spare2"];
const retiredSuffix = "__previewd_old";

export function snapshotName(database: string): string {
  return `${database}${snapshotSuffix}`;
}

function spareNames(database: string): string[] {
  return spareSuffixes.map((suffix) => `${database}${suffix}`);
}

/**
 * Background work running, by kind and database URL: making spares, dropping retired copies. The
 * two run side by side, so a drop (it waits for a checkpoint) never holds up the next spare.
 */
const background = new Map<string, { again: boolean; done: Promise<void> }>();
/** Resets waiting for a spare, by database URL: told after each one made and when making ends. */
const spareWaiters = new Map<string, Array<() => void>>();
/** Databases reset at least once: they switch scenarios, so they get a second spare. */
const switching = new Set<string>();
let retiredCount = 0;

/** Starts `work` in the background, or asks the one running for one more round. Never fails. */
function inBackground(key: string, work: () => Promise<void>, after?: () => void): void {
  const running = background.get(key);
  if (running) {
    running.again = true;
    return;
  }
  const state = { again: true, done: Promise.resolve() };
  state.done = (async () => {
    while (state.again) {
      state.again = false;
      // Without a spare the next reset clones the snapshot itself; a database left over is
      // dropped on a later round.
      await work().catch(() => undefined);
    }
  })().finally(() => {
    background.delete(key);
    after?.();
  });
  background.set(key, state);
}

function scheduleSpares(url: string): void {
  inBackground(
    `spares ${url}`,
    () => makeSpares(url),
    () => notifySpare(url),
  );
}

function scheduleDrops(url: string): void {
  inBackground(`drops ${url}`, () => dropRetired(url));
}

function notifySpare(url: string): void {
  const waiters = spareWaiters.get(url) ?? [];
  spareWaiters.delete(url);
  for (const wake of waiters) wake();
}

async function makeSpares(url: string): Promise<void> {
  const database = databaseOf(url);
  await withAdminClient(url, async (client) => {
    const present = await ourDatabases(client, database);
    const snapshot = snapshotName(database);
    if (!present.has(snapshot)) return;
    for (const spare of spareNames(database).slice(0, switching.has(url) ? undefined : 1)) {
      if (present.has(spare)) continue;
      await retryWhileInUse(() =>
        client.query(
          `CREATE DATABASE ${client.escapeIdentifier(spare)} TEMPLATE ${client.escapeIdentifier(snapshot)}`,
        ),
      );
      notifySpare(url);
    }
  });
}

/** Drops the databases resets moved out of the way (and any a crash left). */
async function dropRetired(url: string): Promise<void> {
  const database = databaseOf(url);
  await withAdminClient(url, async (client) => {
    for (const name of await ourDatabases(client, database)) {
      if (!name.startsWith(`${database}${retiredSuffix}`)) continue;
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    }
  });
}

/** `database` and the copies previewd keeps of it. */
async function ourDatabases(client: pg.ClientBase, database: string): Promise<Set<string>> {
  const found = await client.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $2)",
    [database, `${database}__previewd_`],
  );
  return new Set(found.rows.map((row) => row.datname));
}

async function databaseExists(client: pg.ClientBase, name: string): Promise<boolean> {
  const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return (found.rowCount ?? 0) > 0;
}

/** The server's version as a number: 150004 for 15.4. */
async function serverVersion(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ server_version_num: string }>("SHOW server_version_num");
  return Number(rows[0]?.server_version_num ?? 0);
}

export async function hasSnapshot(url: string): Promise<boolean> {
  return withAdminClient(url, (client) => databaseExists(client, snapshotName(databaseOf(url))));
}

/** Resolves once no spare of `url` is being made (nothing is being copied from the snapshot). */
async function sparesMade(url: string): Promise<void> {
  const key = `spares ${url}`;
  for (let running = background.get(key); running; running = background.get(key)) await running.done;
}

/** Takes (or retakes) the snapshot of the database `url` names. Its sessions are cut off; apps reconnect. */
export async function takeSnapshot(url: string): Promise<void> {
  await snapshot(url);
  scheduleSpares(url);
}

/**
 * Takes the snapshot ahead of the end of provisioning, while an app that does not use the
 * database still builds (snapshot-ahead.ts). Resolves with what snapshotStillCurrent checks: the
 * transaction id after the one that let sessions in again, so any write to the database since
 * has that id or a later one. Undefined, and nothing taken, before Postgres 13, which cannot say.
 * No spares yet: it may be retaken.
 */
export async function takeSnapshotAhead(url: string): Promise<string | undefined> {
  return snapshot(url, { ahead: true });
}

/**
 * Whether the snapshot taken ahead still holds what the database holds: no transaction of its
 * cluster is under way or prepared, and none from `next` on has ended. Every write to a table
 * takes a transaction id, logged table or not, whichever app made it. Asked in that order, a
 * write that ends between the two questions is seen. If it holds, the spares are made as after
 * takeSnapshot.
 */
export async function snapshotStillCurrent(url: string, next: string): Promise<boolean> {
  const current = await withAdminClient(url, async (client) => {
    const writing = await client.query(
      "SELECT 1 FROM pg_stat_activity WHERE backend_xid IS NOT NULL UNION ALL SELECT 1 FROM pg_prepared_xacts",
    );
    if ((writing.rowCount ?? 0) > 0) return false;
    const { rows } = await client.query<{ next: string }>(
      "SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next",
    );
    return rows[0]?.next === next;
  });
  if (current) scheduleSpares(url);
  return current;
}

/**
 * Drops the spares and the old snapshot, then copies `url`'s database as the snapshot. `ahead`:
 * resolves with the transaction id after the one that let its sessions in again (see
 * takeSnapshotAhead), or with undefined before Postgres 13, taking nothing.
 */
async function snapshot(url: string, options: { ahead?: boolean } = {}): Promise<string | undefined> {
  const database = databaseOf(url);
  await sparesMade(url);
  return withAdminClient(url, async (client) => {
    const version = await serverVersion(client);
    if (options.ahead && version < 130000) return undefined;
    const db = client.escapeIdentifier(database);
    const snapshot = client.escapeIdentifier(snapshotName(database));
    // The spares go first: one that exists is always a copy of the current snapshot.
    for (const spare of spareNames(database)) {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(spare)}`);
    }
    await client.query(`DROP DATABASE IF EXISTS ${snapshot}`);
    // FILE_COPY (Postgres 15 and later; the only way before): the files copied as they are, where
    // the default writes each page to the WAL too; ~60 ms against ~130 ms for the shop's database.
    const fileCopy = version >= 150000 ? " STRATEGY FILE_COPY" : "";
    // A template must have no sessions while it is copied: refuse new ones, end the current ones.
    await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
    let allowed = false;
    try {
      await retryWhileInUse(async () => {
        await endSessions(client, database);
        await client.query(`CREATE DATABASE ${snapshot} TEMPLATE ${db}${fileCopy}`);
      });
      // Nobody connects to the snapshot, so a reset never waits for it to be free.
      await client.query(`ALTER DATABASE ${snapshot} WITH ALLOW_CONNECTIONS false`);
      const next = options.ahead ? await allowConnections(client, db) : undefined;
      allowed = next !== undefined;
      return next;
    } finally {
      if (!allowed) await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
    }
  });
}

/**
 * Lets sessions into `db` again in a transaction that takes its id first: the sessions that write
 * to it from then on take later ones. Resolves with the next id; on a failure, undefined, the
 * transaction rolled back (the caller lets them in without one).
 */
async function allowConnections(client: pg.ClientBase, db: string): Promise<string | undefined> {
  try {
    await client.query("BEGIN");
    const { rows } = await client.query<{ id: string }>("SELECT pg_current_xact_id()::text AS id");
    await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`);
    await client.query("COMMIT");
    return (BigInt(rows[0]!.id) + 1n).toString();
  } catch {
    await client.query("ROLLBACK").catch(() => undefined);
    return undefined;
  }
}

/**
 * Back to the snapshot: move the database out of the way (ending its sessions), then rename a
 * spare copy in its place, or, without one, clone the snapshot again. The next spare is then made,
 * and the old database dropped, in the background.
 */
export async function resetToSnapshot(url: string): Promise<void> {
  const database = databaseOf(url);
  switching.add(url);
  await withAdminClient(url, async (client) => {
    const db = client.escapeIdentifier(database);
    const snapshot = snapshotName(database);
    let present = await ourDatabases(client, database);
    // Without a snapshot a drop would lose the migrated schema for good.
    if (!present.has(snapshot)) {
      throw new ConflictError(`database ${database} has no snapshot to reset to`);
    }
    const spareIn = () => spareNames(database).find((name) => present.has(name));
    if (!spareIn() && background.has(`spares ${url}`)) {
      // Switching faster than spares are made: the one being made comes sooner than a new clone.
      await new Promise<void>((wake) => spareWaiters.set(url, [...(spareWaiters.get(url) ?? []), wake]));
      present = await ourDatabases(client, database);
    }
    const spare = spareIn();
    if (present.has(database)) await retire(client, database);
    if (spare) await client.query(`ALTER DATABASE ${client.escapeIdentifier(spare)} RENAME TO ${db}`);
    else await client.query(`CREATE DATABASE ${db} TEMPLATE ${client.escapeIdentifier(snapshot)}`);
  });
  scheduleSpares(url);
  scheduleDrops(url);
}

/**
 * Renames `database` out of the way, to be dropped in the background: a drop forces a checkpoint (tens of ms
 * or more with dirty pages), a rename does not. It refuses connections first, so none is made
 * between its sessions ending and the rename.
 */
async function retire(client: pg.ClientBase, database: string): Promise<void> {
  const db = client.escapeIdentifier(database);
  retiredCount += 1;
  const retired = `${database}${retiredSuffix}${retiredCount.toString(36)}_${Date.now().toString(36)}`;
  await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS false`);
  try {
    await retryWhileInUse(async () => {
      await endSessions(client, database);
      await client.query(`ALTER DATABASE ${db} RENAME TO ${client.escapeIdentifier(retired)}`);
    });
  } catch (error) {
    await client.query(`ALTER DATABASE ${db} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
    throw error;
  }
}

/**
 * Ends the sessions on `database` and waits until they are gone. Postgres' own wait (DROP …
 * WITH (FORCE), a rename or a clone finding sessions) sleeps 100 ms at a time; they are gone in
 * a few ms. Leaves it to the statement that follows to fail (55006) if one outlives 1 s.
 */
async function endSessions(client: pg.ClientBase, database: string): Promise<void> {
  await client.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    [database],
  );
  for (let waited = 0; waited < 1_000; waited += 2) {
    const left = await client.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1", [database]);
    if (left.rowCount === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
