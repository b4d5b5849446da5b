/** Which log lines a reader asked for: the one predicate shared by stores, queries and follows. */
import type { LogEntry, LogQuery, LogStream } from "./log-store.ts";

export interface LogFilter {
  apps?: string[];
  streams?: LogStream[];
  since?: Date;
  until?: Date;
  /** A substring, or a regular expression. */
  grep?: string | RegExp;
  /** Only lines whose id is greater (SSE resumption). */
  afterId?: number;
}

export type LogPredicate = (entry: LogEntry) => boolean;

export function logPredicate(filter: LogFilter | LogQuery): LogPredicate {
  const since = filter.since?.toISOString();
  const until = filter.until?.toISOString();
  const { apps, streams, grep } = filter;
  const afterId = "afterId" in filter ? filter.afterId : undefined;
  const matchesLine =
    grep === undefined
      ? undefined
      : typeof grep === "string"
        ? (line: string) => line.includes(grep)
        : (line: string) => {
            grep.lastIndex = 0; // a /g or /y expression keeps state between calls otherwise
            return grep.test(line);
          };
  return (e) =>
    (!apps || apps.includes(e.app)) &&
    (!streams || streams.includes(e.stream)) &&
    (!since || e.ts >= since) &&
    (!until || e.ts <= until) &&
    (afterId === undefined || (e.id ?? 0) > afterId) &&
    (!matchesLine || matchesLine(e.line));
}

/** The last `tail` entries of `entries` that match (all of them without `tail`). */
export function selectLogs(entries: readonly LogEntry[], filter: LogFilter, tail?: number): LogEntry[] {
  const matches = logPredicate(filter);
  if (tail === undefined) return entries.filter(matches);
  // Walk backwards: a small tail of a long history does not test every line.
  const picked: LogEntry[] = [];
  for (let i = entries.length - 1; i >= 0 && picked.length < tail; i--) {
    const entry = entries[i]!;
    if (matches(entry)) picked.push(entry);
  }
  return picked.reverse();
}
