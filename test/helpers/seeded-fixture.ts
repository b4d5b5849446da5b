/**
 * A fixture monorepo for the seed scenario suites: an `api` on Postgres whose pool keeps idle
 * connections (so a reset really cuts them off) and survives that (`pool.on("error")`), plus
 * scenarios using every step kind, a three-level `extends` chain, a failing step and a cycle.
 */
import { createFixtureRepo, pgModule, postgresApi, type FixtureRepo } from "./fixture-monorepo.ts";

export const seededManifest = `version: 1
name: seeded
services:
  db: { type: postgres, database: items }
apps:
  api:
    path: apps/api
    start: node server.js
    health: /healthz
    env:
      DATABASE_URL: \${services.db.url}
      GREETING: hi
    depends_on: [db]
flags:
  banner: { type: string, default: hello }
  big: { type: boolean, default: false }
seed:
  default: base
`;

export const seededApi = postgresApi(
  `// Idle clients stay open for a minute: a reset must terminate them, and the pool must carry on.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 4, idleTimeoutMillis: 60_000 });
pool.on("error", (error) => console.error("idle client lost: " + error.message));
// The migration: what the snapshot holds.
await pool.query("create table if not exists items (id serial primary key, name text not null, source text not null)");`,
  `    if (req.url === "/pid") return send(200, { pid: process.pid });
    if (req.url === "/items" && req.method === "POST") {
      let body = ""; for await (const chunk of req) body += chunk;
      const { rows } = await pool.query("insert into items (name, source) values ($1, 'http') returning id", [JSON.parse(body).name]);
      return send(201, rows[0]);
    }
    if (req.url === "/items") return send(200, (await pool.query("select name from items order by id")).rows.map((r) => r.name));`,
);

// Runs as a \`command\` step: in the app's folder, with the app's environment (DATABASE_URL, GREETING).
const addItem = `import pg from ${pgModule};
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query("insert into items (name, source) values ($1, 'command')", [process.env.ITEM + "-" + process.env.GREETING]);
await client.end();
console.log("added " + process.env.ITEM);
`;

export const seededScenarios: Record<string, string> = {
  "seed-scenarios/base.yaml": `description: Two items from a SQL file
flags: { banner: base }
steps:
  - sql: { service: db, file: sql/base.sql }
`,
  "seed-scenarios/sql/base.sql": "insert into items (name, source) values ('a', 'file'), ('b', 'file');\n",
  "seed-scenarios/middle.yaml": `description: The base items, one from a query and one through the api
extends: base
steps:
  - sql: { service: db, query: "insert into items (name, source) values ('c', 'query')" }
  - http: { app: api, method: POST, path: /items, body: { name: from-http }, expect: 201 }
`,
  "seed-scenarios/top.yaml": `description: Everything in middle, plus an item added by a command
extends: middle
flags: { big: true }
steps:
  - command: { app: api, run: node add-item.js, env: { ITEM: from-command } }
`,
  "seed-scenarios/empty.yaml": "description: Nothing\n",
  "seed-scenarios/broken.yaml": `description: Fails half-way, after writing data
extends: base
steps:
  - sql: { service: db, query: "insert into items (name, source) values ('half', 'query')" }
  - http: { app: api, method: POST, path: /items, body: { name: half-http }, expect: 201 }
  - command: { app: api, run: "echo failing output; echo to stderr >&2; exit 4" }
`,
  "seed-scenarios/bad-sql.yaml": `steps:
  - sql: { service: db, query: "insert into items (name, source) values ('x', 'query')" }
  - sql: { service: db, query: "insert into nowhere values (1)" }
`,
  "seed-scenarios/cycle-a.yaml": "extends: cycle-b\n",
  "seed-scenarios/cycle-b.yaml": "extends: cycle-a\n",
};

export function createSeededRepo(): FixtureRepo {
  return createFixtureRepo({
    files: {
      "preview.yaml": seededManifest,
      "apps/api/server.js": seededApi,
      "apps/api/add-item.js": addItem,
      ...seededScenarios,
    },
  });
}
