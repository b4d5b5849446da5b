/**
 * The release step (`node dist/migrate.js`): creates the tables if they are missing. It runs before
 * every start of a new build, so each statement must be safe to run again.
 */
import pg from "pg";

const statements = [
  `CREATE TABLE IF NOT EXISTS books (
     id serial PRIMARY KEY,
     title text NOT NULL,
     author text NOT NULL,
     price_cents integer NOT NULL CHECK (price_cents >= 0),
     stock integer NOT NULL DEFAULT 0 CHECK (stock >= 0)
   )`,
  `CREATE TABLE IF NOT EXISTS orders (
     id serial PRIMARY KEY,
     book_id integer NOT NULL REFERENCES books (id),
     quantity integer NOT NULL CHECK (quantity > 0),
     total_cents integer NOT NULL,
     charge_id text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
];

const client = new pg.Client();
await client.connect();
try {
  for (const statement of statements) await client.query(statement);
  const { rows } = await client.query<{ count: string }>(
    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
  );
  console.log(`migrated: ${rows[0]?.count ?? 0} tables in ${process.env.PGDATABASE ?? "the database"}`);
} finally {
  await client.end();
}
