/** Which log lines a reader asked for: the one predicate shared by stores, queries and follows. */
import { setImmediate as nextTurn } from "node:timers/promises";
import { type GrepMatcher, grepMatches } from "./grep-pattern.ts";
import type { LogEntry, LogQuery, LogStream } from "./log-store.ts";

export interface LogFilter {
  apps?: string[];
  streams?: LogStream[];
  since?: Date;
  until?: Date;
  /** A substring, or an RE2 pattern (linear time: see grep-pattern.ts). */
  grep?: GrepMatcher;
  /** Only lines whose id is greater (SSE resumption). */
  afterId?: number;
}

export type LogPredicate = (entry: LogEntry) => boolean;

export function logPredicate(filter: LogFilter | LogQuery): LogPredicate {
  const since = filter.since?.toISOString();
  const until = filter.until?.toISOString();
  const { apps, streams, grep } = filter;
  const afterId = "afterId" in filter ? filter.afterId : undefined;
  const matchesLine = grep === undefined ? undefined : (line: string) => grepMatches(grep, line);
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

/** Milliseconds of matching before selectLogsInTurns lets other work run. */
const TURN_MS = 10;

/**
 * selectLogs for requests: the same lines, but a long scan (a regular expression over a full
 * ring of 16 MiB is seconds, even in linear time) gives the event loop back every few
 * milliseconds, so the API, the proxy and the bridge keep answering meanwhile. Stops early,
 * answering [], once `signal` aborts (the caller went away).
 */
export async function selectLogsInTurns(
  entries: readonly LogEntry[],
  filter: LogFilter,
  tail?: number,
  signal?: AbortSignal,
): Promise<LogEntry[]> {
  const matches = logPredicate(filter);
  const limit = tail ?? Infinity;
  const picked: LogEntry[] = [];
  let turnStarted = performance.now();
  // Newest first, like selectLogs: a small tail of a long history stops early.
  for (let i = entries.length - 1; i >= 0 && picked.length < limit; i--) {
    if (performance.now() - turnStarted > TURN_MS) {
      await nextTurn();
      if (signal?.aborted) return [];
      turnStarted = performance.now();
    }
    const entry = entries[i]!;
    if (matches(entry)) picked.push(entry);
  }
  return picked.reverse();
}
