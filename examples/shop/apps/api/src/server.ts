import { createFlagReader, HttpError, sendJson, serve } from "@shop/shared";
import { createPool, waitForDatabase } from "./database.ts";
import { migrate } from "./migrate.ts";
import { createApiHandler } from "./routes.ts";

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error("api: DATABASE_URL is not set");
  process.exit(1);
}

const pool = createPool(databaseUrl);
await waitForDatabase(pool);
const applied = await migrate(pool, new URL("../migrations/", import.meta.url));
console.log(applied.length ? `api: applied migrations ${applied.join(", ")}` : "api: database is up to date");

const flags = createFlagReader();
await serve({
  name: "api",
  defaultPort: 3000,
  handler: createApiHandler({ pool, flags }),
  onError: (error, res) => {
    if (error instanceof HttpError)
      return sendJson(res, error.status, { error: error.code, message: error.message });
    console.error(`api: ${(error as Error).stack ?? String(error)}`);
    sendJson(res, 500, { error: "internal", message: (error as Error).message });
  },
  onShutdown: async () => {
    await flags.close();
    await pool.end();
  },
});
