/** The logs endpoint's query string, and its SSE follow read as entries with their ids. */
import type { LogEntry } from "../logs/log-store.ts";
import { readEventStream } from "./event-stream.ts";

export interface LogQueryParams {
  app?: string[];
  stream?: string[];
  since?: string;
  until?: string;
  tail?: number;
  grep?: string;
  /** How long the server keeps one follow open (`30m`); the CLI reconnects after it. */
  maxDuration?: string;
}

export function logSearchParams(query: LogQueryParams, follow = false): string {
  const params = new URLSearchParams();
  for (const app of query.app ?? []) params.append("app", app);
  for (const stream of query.stream ?? []) params.append("stream", stream);
  for (const key of ["since", "until", "grep", "maxDuration"] as const) {
    const value = query[key];
    if (value !== undefined) params.set(key, value);
  }
  if (query.tail !== undefined) params.set("tail", String(query.tail));
  if (follow) params.set("follow", "true");
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function parseNdjson(text: string): LogEntry[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LogEntry);
}

/** Entries of a follow stream, each with the id to resume after. */
export function readLogEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<LogEntry> {
  return readEventStream(body, (message) => {
    const entry = JSON.parse(message.data) as LogEntry;
    return message.id === undefined ? entry : { ...entry, id: Number(message.id) };
  });
}
