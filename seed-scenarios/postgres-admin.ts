/** Connections to a Postgres server's maintenance database, for CREATE/DROP/ALTER DATABASE. */
import pg from "pg";

/** The database a connection URL names. */
export function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  return name || "postgres";
}

/** Open admin connections by maintenance-database URL (one Postgres server each). */
const pools = new Map<string, pg.Pool>();

/**
 * A connection costs ~10 ms quiet, ~50 ms under load (a backend forked, SCRAM), and a switch
 * needs one in the foreground, and behind it one making the next spare and one dropping the old
 * database: they stay open a few seconds, so switches back to back reuse them. Idle ones never keep previewd alive, and one
 * cut off (the server stopped) is dropped and replaced on the next use.
 */
function adminPool(url: string): pg.Pool {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const key = admin.toString();
  let pool = pools.get(key);
  if (!pool) {
    const created = new pg.Pool({
      connectionString: key,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 5_000,
      max: 3,
      allowExitOnIdle: true,
    });
    // A terminated idle admin connection must not take previewd down; the pool replaces it.
    created.on("error", () => undefined);
    created.on("remove", () => {
      if (created.totalCount === 0 && pools.get(key) === created) pools.delete(key);
    });
    pools.set(key, created);
    pool = created;
  }
  return pool;
}

export async function withAdminClient<T>(
  url: string,
  work: (client: pg.ClientBase) => Promise<T>,
): Promise<T> {
  const client = await adminPool(url).connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on("error", onError);
  try {
    return await work(client);
  } finally {
    // One cut off mid-query is not returned (the pool also checks), so no caller trips over it.
    client.off("error", onError);
    client.release(broken);
  }
}

/** Retries `work` while Postgres says another session still uses a database (SQLSTATE 55006). */
export async function retryWhileInUse<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: string }).code !== "55006" || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
