/**
 * Every row of every user table, in a stable order, as text: two loads of the same scenario
 * must give the same dump. Columns filled by `now()` hold the load's time, not the scenario's
 * data, so they are masked.
 */
import pg from "pg";

export async function dumpDatabase(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    const columns = await client.query<{ table: string; column: string; clock: boolean }>(`
      SELECT c.table_schema || '.' || c.table_name AS table, c.column_name AS column,
             coalesce(c.column_default ~* '(now\\(\\)|current_timestamp|clock_timestamp)', false) AS clock
      FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
      WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
      ORDER BY 1, c.ordinal_position`);
    const tables = new Map<string, { column: string; clock: boolean }[]>();
    for (const row of columns.rows) tables.set(row.table, [...(tables.get(row.table) ?? []), row]);
    const out: string[] = [];
    for (const [table, cols] of tables) {
      const select = cols
        .map((c) =>
          c.clock ? `'<now>' AS ${client.escapeIdentifier(c.column)}` : client.escapeIdentifier(c.column),
        )
        .join(", ");
      const name = table
        .split(".")
        .map((part) => client.escapeIdentifier(part))
        .join(".");
      // Cast for ordering: json and other types without ordering still sort, deterministically.
      const order = cols
        .filter((c) => !c.clock)
        .map((c) => `${client.escapeIdentifier(c.column)}::text`)
        .join(", ");
      const rows = await client.query({
        text: `SELECT ${select} FROM ${name} ${order ? ` ORDER BY ${order}` : ""}`,
        rowMode: "array",
      });
      out.push(`-- ${table} (${cols.map((c) => c.column).join(", ")}): ${rows.rowCount} rows`);
      for (const row of rows.rows as unknown[][]) out.push(JSON.stringify(row));
    }
    return out.join("\n");
  } finally {
    await client.end().catch(() => undefined);
  }
}
