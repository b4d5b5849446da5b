import pg from "pg";

export function createPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 5, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection (database restarted) must not crash the process.
  pool.on("error", (error) => console.error(`api: idle database client: ${error.message}`));
  return pool;
}

/** Waits for the database to accept queries, e.g. while its container is still starting. */
export async function waitForDatabase(pool: pg.Pool, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await pool.query("select 1");
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      console.log(`api: waiting for the database: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
