import { EventEmitter } from "node:events";
import type { LogEntry, LogQuery, LogStore } from "./log-store.ts";

/** A bounded in-memory store: the newest `capacity` lines per environment. */
export class MemoryLogStore implements LogStore {
  readonly #lines = new Map<string, LogEntry[]>();
  readonly #events = new EventEmitter().setMaxListeners(0);
  #lastId = 0;

  constructor(private readonly capacity = 10_000) {}

  append(envId: string, entry: Omit<LogEntry, "ts"> & { ts?: string }): void {
    const full: LogEntry = {
      ts: entry.ts ?? new Date().toISOString(),
      app: entry.app,
      stream: entry.stream,
      line: entry.line,
      id: ++this.#lastId,
    };
    let lines = this.#lines.get(envId);
    if (!lines) this.#lines.set(envId, (lines = []));
    lines.push(full);
    if (lines.length > this.capacity) lines.splice(0, lines.length - this.capacity);
    this.#events.emit(envId, full);
  }

  query(envId: string, query: LogQuery = {}): LogEntry[] {
    const since = query.since?.toISOString();
    const until = query.until?.toISOString();
    const matches = (this.#lines.get(envId) ?? []).filter(
      (e) =>
        (!query.apps || query.apps.includes(e.app)) &&
        (!query.streams || query.streams.includes(e.stream)) &&
        (!since || e.ts >= since) &&
        (!until || e.ts <= until) &&
        (!query.grep || e.line.includes(query.grep)),
    );
    return query.tail === undefined ? matches : matches.slice(-query.tail);
  }

  subscribe(envId: string, listener: (entry: LogEntry) => void): () => void {
    this.#events.on(envId, listener);
    return () => this.#events.off(envId, listener);
  }

  async remove(envId: string): Promise<void> {
    this.#lines.delete(envId);
  }
}
