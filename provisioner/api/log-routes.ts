/**
 * `GET /v1/environments/:id/logs`: NDJSON of the matching lines, or with `follow=true` an SSE
 * stream (the tail, then live lines) that resumes after `Last-Event-ID` and ends after
 * `maxDuration` or when the environment is deleted, so no follow holds a connection forever.
 */
import { Router, type Response } from "express";
import { logPredicate, selectLogsInTurns } from "../logs/log-filter.ts";
import type { LogEntry, LogStore } from "../logs/log-store.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { parseLogQuery } from "./log-query.ts";
import { openEventStream } from "./sse.ts";
import { ValidationError } from "../errors.ts";

export interface LogRouteOptions {
  heartbeatMs: number;
  /** Subscribes to deletions; a follow ends once its environment is deleted. */
  onDeleted?: (listener: (id: string) => void) => () => void;
}

export function logRoutes(
  logs: LogStore,
  orchestrator: Pick<Orchestrator, "get" | "flushLogs">,
  options: LogRouteOptions,
): Router {
  const router = Router();

  router.get("/environments/:id/logs", async (req, res) => {
    const { id } = orchestrator.get(req.params.id); // unknown ids answer 404
    const request = parseLogQuery(req.query);
    // A line written before the query (an app's, just before it answered the caller) is in it.
    await orchestrator.flushLogs(id);
    if (!request.follow) {
      const gone = new AbortController();
      res.on("close", () => gone.abort());
      const entries = await selectLogsInTurns(logs.query(id), request.filter, request.tail, gone.signal);
      return gone.signal.aborted ? undefined : sendNdjson(res, entries);
    }

    const resumeFrom = lastEventId(req.get("last-event-id")) ?? request.lastEventId;
    const { until, ...live } = request.filter;
    const matches = logPredicate(live);
    const stream = openEventStream(req, res, options);
    const send = (entry: LogEntry) => stream.send(toLine(entry), entry.id);
    // Take the history and subscribe in the same tick, so no line falls between them; lines that
    // arrive while the history is matched (in turns, it may take a while) wait in `pending`.
    const entries = logs.query(id);
    let pending: LogEntry[] | undefined = [];
    let lastSent = 0;
    const deliver = (entry: LogEntry) => {
      if ((entry.id ?? Infinity) <= lastSent || !matches(entry)) return;
      if (until && entry.ts > until.toISOString()) return stream.close();
      lastSent = entry.id ?? lastSent;
      send(entry);
    };
    const unsubscribe = logs.subscribe(id, (entry) => (pending ? pending.push(entry) : deliver(entry)));
    const timer = setTimeout(() => stream.close(), request.maxDurationMs);
    const closed = new AbortController();
    stream.onClose(() => {
      closed.abort();
      clearTimeout(timer);
      unsubscribe();
    });
    if (options.onDeleted) stream.onClose(options.onDeleted((gone) => gone === id && stream.close()));

    const history =
      resumeFrom === undefined
        ? await selectLogsInTurns(entries, request.filter, request.tail, closed.signal)
        : await selectLogsInTurns(entries, { ...request.filter, afterId: resumeFrom }, 5000, closed.signal);
    for (const entry of history) send(entry);
    lastSent = history.at(-1)?.id ?? 0;
    const arrived = pending;
    pending = undefined;
    for (const entry of arrived) deliver(entry);
  });

  return router;
}

function toLine({ ts, app, stream, line }: LogEntry): LogEntry {
  return { ts, app, stream, line };
}

function sendNdjson(res: Response, entries: LogEntry[]): void {
  res.status(200).type("application/x-ndjson");
  res.send(entries.map((entry) => `${JSON.stringify(toLine(entry))}\n`).join(""));
}

function lastEventId(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const id = Number(header);
  if (!Number.isSafeInteger(id) || id < 0) {
    throw new ValidationError("invalid Last-Event-ID", {
      errors: [
        { path: "headers.last-event-id", message: `expected a log line id (got ${JSON.stringify(header)})` },
      ],
    });
  }
  return id;
}
