/**
 * The log store previewd runs with: per environment, the newest lines in memory (bounded by
 * lines and bytes) and every line appended to NDJSON files under `<dir>/<env-id>/` (bounded by
 * size, rotated). On start it reloads each environment's recent tail, so logs survive a restart.
 */
import { EventEmitter } from "node:events";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { LogFileWriter, type LogFileLimits } from "./log-file-writer.ts";
import { selectLogs } from "./log-filter.ts";
import { LogRing, type StoredLogEntry } from "./log-ring.ts";
import type { LogEntry, LogQuery, LogStore } from "./log-store.ts";
import { readLogTail } from "./read-log-files.ts";

export interface FileLogStoreOptions {
  /** One folder per environment is made inside. */
  dir: string;
  logger?: Logger;
  /** Lines kept in memory per environment (default 20 000). */
  memoryLines?: number;
  /** Approximate bytes kept in memory per environment (default 16 MiB). */
  memoryBytes?: number;
  /** Size at which an environment's file is rotated (default 8 MiB). */
  maxFileBytes?: number;
  /** Rotated files kept besides the current one (default 2). */
  maxRotatedFiles?: number;
  /** How often buffered lines are written (default 100 ms). */
  flushIntervalMs?: number;
  /** Buffered bytes per environment that trigger a write at once (default 256 KiB). */
  flushBytes?: number;
  /** Longer lines are cut, so one runaway line cannot take the memory budget (default 64 KiB). */
  maxLineLength?: number;
}

interface Partition {
  ring: LogRing;
  writer: LogFileWriter;
}

export class FileLogStore implements LogStore {
  readonly #partitions = new Map<string, Partition>();
  readonly #events = new EventEmitter().setMaxListeners(0);
  readonly #dirty = new Set<Partition>();
  readonly #timer: NodeJS.Timeout;
  readonly #limits: LogFileLimits;
  readonly #memoryLines: number;
  readonly #memoryBytes: number;
  readonly #flushBytes: number;
  readonly #maxLineLength: number;

  private constructor(private readonly options: FileLogStoreOptions) {
    this.#limits = {
      maxFileBytes: options.maxFileBytes ?? 8 * 1024 * 1024,
      maxRotatedFiles: options.maxRotatedFiles ?? 2,
    };
    this.#memoryLines = options.memoryLines ?? 20_000;
    this.#memoryBytes = options.memoryBytes ?? 16 * 1024 * 1024;
    this.#flushBytes = options.flushBytes ?? 256 * 1024;
    this.#maxLineLength = options.maxLineLength ?? 64 * 1024;
    this.#timer = setInterval(() => this.flush(), options.flushIntervalMs ?? 100);
    this.#timer.unref();
  }

  /** Opens the store and reloads the recent lines of every environment found in `dir`. */
  static async open(options: FileLogStoreOptions): Promise<FileLogStore> {
    const store = new FileLogStore(options);
    const entries = await readdir(options.dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || !isEnvironmentId(entry.name)) continue;
      const lines = await readLogTail(
        path.join(options.dir, entry.name),
        store.#limits.maxRotatedFiles,
        store.#memoryLines,
      );
      const partition = store.#partition(entry.name);
      for (const line of lines) partition.ring.push(line);
    }
    return store;
  }

  append(envId: string, entry: Omit<LogEntry, "ts"> & { ts?: string }): void {
    const partition = this.#partition(envId);
    const line =
      entry.line.length > this.#maxLineLength
        ? `${entry.line.slice(0, this.#maxLineLength)}… [${entry.line.length - this.#maxLineLength} characters cut]`
        : entry.line;
    // Time-based ids stay increasing across a restart and across a deleted and re-created environment.
    const id = Math.max(partition.ring.lastId + 1, Date.now() * 1000);
    const stored: StoredLogEntry = {
      ts: entry.ts ?? new Date().toISOString(),
      app: entry.app,
      stream: entry.stream,
      line,
      id,
    };
    partition.ring.push(stored);
    partition.writer.write(`${JSON.stringify(stored)}\n`);
    if (partition.writer.pendingBytes >= this.#flushBytes) this.#write(partition);
    else this.#dirty.add(partition);
    this.#events.emit(envId, stored);
  }

  query(envId: string, query: LogQuery = {}): LogEntry[] {
    const ring = this.#partitions.get(envId)?.ring;
    return ring ? selectLogs(ring.entries(), query, query.tail) : [];
  }

  subscribe(envId: string, listener: (entry: LogEntry) => void): () => void {
    this.#events.on(envId, listener);
    return () => this.#events.off(envId, listener);
  }

  async remove(envId: string): Promise<void> {
    const partition = this.#partitions.get(envId);
    this.#partitions.delete(envId);
    if (partition) {
      this.#dirty.delete(partition);
      partition.writer.remove();
    }
    await rm(this.#dir(envId), { recursive: true, force: true });
  }

  /** Environments that have lines, in memory or on disk. */
  environments(): string[] {
    return [...this.#partitions.keys()];
  }

  /** Delete the logs of every environment not in `ids` (left behind by a crash mid-delete). */
  async retainOnly(ids: Iterable<string>): Promise<void> {
    const keep = new Set(ids);
    for (const id of this.environments()) if (!keep.has(id)) await this.remove(id);
  }

  /** Memory held by the in-memory tails, approximately (tests and benchmarks). */
  memoryBytes(): number {
    let total = 0;
    for (const { ring } of this.#partitions.values()) total += ring.bytes;
    return total;
  }

  /** Writes every buffered line now. */
  flush(): void {
    for (const partition of this.#dirty) this.#write(partition);
    this.#dirty.clear();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.flush();
    for (const { writer } of this.#partitions.values()) writer.close();
  }

  #write(partition: Partition): void {
    try {
      partition.writer.flush();
    } catch (error) {
      // A full or read-only disk must not take previewd down; memory still has the lines.
      this.options.logger?.error({ err: error, dir: partition.writer.dir }, "writing logs failed");
    }
  }

  #partition(envId: string): Partition {
    let partition = this.#partitions.get(envId);
    if (!partition) {
      partition = {
        ring: new LogRing(this.#memoryLines, this.#memoryBytes),
        writer: new LogFileWriter(this.#dir(envId), this.#limits),
      };
      this.#partitions.set(envId, partition);
    }
    return partition;
  }

  #dir(envId: string): string {
    // Ids are DNS labels; refuse anything that could leave the folder.
    if (!isEnvironmentId(envId)) {
      throw new ValidationError(`not an environment id: ${JSON.stringify(envId)}`);
    }
    return path.join(this.options.dir, envId);
  }
}

function isEnvironmentId(value: string): boolean {
  return /^[a-z0-9][a-z0-9-]*$/i.test(value);
}
