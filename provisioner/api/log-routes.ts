/**
 * `GET /v1/environments/:id/logs`: NDJSON of the matching lines, or with `follow=true` an SSE
 * stream (the tail, then live lines) that resumes after `Last-Event-ID` and ends after
 * `maxDuration` or when the environment is deleted, so no follow holds a connection forever.
 */
import { Router, type Response } from "express";
import { logPredicate, selectLogs } from "../logs/log-filter.ts";
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
  orchestrator: Pick<Orchestrator, "get">,
  options: LogRouteOptions,
): Router {
  const router = Router();

  router.get("/environments/:id/logs", (req, res) => {
    const { id } = orchestrator.get(req.params.id); // unknown ids answer 404
    const request = parseLogQuery(req.query);
    if (!request.follow) return sendNdjson(res, selectLogs(logs.query(id), request.filter, request.tail));

    const resumeFrom = lastEventId(req.get("last-event-id")) ?? request.lastEventId;
    const { until, ...live } = request.filter;
    const history =
      resumeFrom === undefined
        ? selectLogs(logs.query(id), request.filter, request.tail)
        : selectLogs(logs.query(id), { ...request.filter, afterId: resumeFrom }, 5000);
    const matches = logPredicate(live);
    const stream = openEventStream(req, res, options);
    const send = (entry: LogEntry) => stream.send(toLine(entry), entry.id);
    for (const entry of history) send(entry);
    // query() and subscribe() run in the same tick: no line falls between history and live.
    let lastSent = history.at(-1)?.id ?? 0;
    const unsubscribe = logs.subscribe(id, (entry) => {
      if ((entry.id ?? Infinity) <= lastSent || !matches(entry)) return;
      if (until && entry.ts > until.toISOString()) return stream.close();
      lastSent = entry.id ?? lastSent;
      send(entry);
    });
    const timer = setTimeout(() => stream.close(), request.maxDurationMs);
    stream.onClose(() => {
      clearTimeout(timer);
      unsubscribe();
    });
    if (options.onDeleted) stream.onClose(options.onDeleted((gone) => gone === id && stream.close()));
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
