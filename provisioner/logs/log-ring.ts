/**
 * One environment's recent lines in memory, bounded by a line count and an approximate byte
 * size, whichever is reached first. Appending is amortised O(1): evicted lines are skipped by
 * a start index and the array is compacted only once half of it is dead.
 */
import type { LogEntry } from "./log-store.ts";

export type StoredLogEntry = LogEntry & { id: number };

/** UTF-16 characters plus a rough per-object overhead. */
export function approximateSize(entry: LogEntry): number {
  return 2 * (entry.line.length + entry.app.length + entry.ts.length) + 120;
}

export class LogRing {
  #entries: StoredLogEntry[] = [];
  #start = 0;
  #bytes = 0;

  constructor(
    readonly maxLines: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.#entries.length - this.#start;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get lastId(): number {
    return this.#entries.at(-1)?.id ?? 0;
  }

  push(entry: StoredLogEntry): void {
    this.#entries.push(entry);
    this.#bytes += approximateSize(entry);
    while (this.size > this.maxLines || (this.#bytes > this.maxBytes && this.size > 1)) {
      const evicted = this.#entries[this.#start]!;
      this.#bytes -= approximateSize(evicted);
      // Drop the reference now so the line can be collected before the next compaction.
      this.#entries[this.#start++] = undefined as never;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#start);
      this.#start = 0;
    }
  }

  /** A snapshot, oldest first. */
  entries(): StoredLogEntry[] {
    return this.#entries.slice(this.#start);
  }
}
