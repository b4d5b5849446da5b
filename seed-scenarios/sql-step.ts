/** A `sql` step: the file's or query's text sent as one simple-protocol query (several statements allowed). */
import pg from "pg";

export interface SqlOutcome {
  ok: boolean;
  output: string[];
}

export async function runSql(url: string, sql: string, signal: AbortSignal): Promise<SqlOutcome> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => undefined);
  const notices: string[] = [];
  client.on("notice", (notice) => notices.push(`NOTICE: ${notice.message}`));
  const cancel = () => void client.end().catch(() => undefined);
  signal.addEventListener("abort", cancel, { once: true });
  try {
    await client.connect();
    const results = await client.query(sql);
    const count = (Array.isArray(results) ? results : [results]).reduce((n, r) => n + (r.rowCount ?? 0), 0);
    return { ok: true, output: [...notices, `${count} rows affected`] };
  } catch (error) {
    return { ok: false, output: [...notices, ...describeSqlError(error as pg.DatabaseError, sql)] };
  } finally {
    signal.removeEventListener("abort", cancel);
    await client.end().catch(() => undefined);
  }
}

/** `ERROR: … at line 3`, plus Postgres' detail and hint when it gives them. */
function describeSqlError(error: pg.DatabaseError, sql: string): string[] {
  const lines = [`ERROR: ${error.message}`];
  const position = Number(error.position);
  if (Number.isInteger(position) && position > 0) {
    lines[0] += ` (at line ${sql.slice(0, position).split("\n").length})`;
  }
  if (error.detail) lines.push(`DETAIL: ${error.detail}`);
  if (error.hint) lines.push(`HINT: ${error.hint}`);
  return lines;
}
