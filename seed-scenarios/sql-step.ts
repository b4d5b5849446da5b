/** A `sql` step: the file's or query's text sent as one simple-protocol query (several statements allowed). */
import type pg from "pg";
import { SqlSessions } from "./sql-sessions.ts";

export interface SqlOutcome {
  ok: boolean;
  output: string[];
}

/** Runs in `sessions`' connection to `url` when given (the steps of one load), else in one of its own. */
export async function runSql(
  url: string,
  sql: string,
  signal: AbortSignal,
  sessions?: SqlSessions,
): Promise<SqlOutcome> {
  const own = sessions ?? new SqlSessions();
  const notices: string[] = [];
  const onNotice = (notice: { message?: string }) => void notices.push(`NOTICE: ${notice.message}`);
  const cancel = () => own.discard(url);
  signal.addEventListener("abort", cancel, { once: true });
  let client: pg.Client | undefined;
  try {
    client = await own.take(url);
    client.on("notice", onNotice);
    const results = await client.query(sql);
    const count = (Array.isArray(results) ? results : [results]).reduce((n, r) => n + (r.rowCount ?? 0), 0);
    return { ok: true, output: [...notices, `${count} rows affected`] };
  } catch (error) {
    return { ok: false, output: [...notices, ...describeSqlError(error as pg.DatabaseError, sql)] };
  } finally {
    signal.removeEventListener("abort", cancel);
    client?.off("notice", onNotice);
    if (!sessions) await own.close();
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
