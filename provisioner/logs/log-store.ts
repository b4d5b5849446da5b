/**
 * One log store per previewd, partitioned by environment. Runtimes write app and service
 * lines; the orchestrator writes its own (`app: "previewd"`, stream `system`); the bridge
 * writes browser lines. The logs API reads through the same interface.
 */
export type LogStream = "stdout" | "stderr" | "system" | "browser";

export interface LogEntry {
  /** RFC 3339 timestamp of when the line was captured. */
  ts: string;
  /** An app or service name, `browser` or `previewd`. */
  app: string;
  stream: LogStream;
  line: string;
  /** Increases with every line of an environment (also across restarts); SSE resumes from it. */
  id?: number;
}

export interface LogQuery {
  apps?: string[];
  streams?: LogStream[];
  since?: Date;
  until?: Date;
  /** Only the last N matching lines. */
  tail?: number;
  /** Substring match. */
  grep?: string;
}

export interface LogStore {
  append(envId: string, entry: Omit<LogEntry, "ts"> & { ts?: string }): void;
  query(envId: string, query?: LogQuery): LogEntry[];
  /** Calls `listener` for every line appended after subscribing; returns the unsubscribe function. */
  subscribe(envId: string, listener: (entry: LogEntry) => void): () => void;
  /** Forget everything about an environment. */
  remove(envId: string): Promise<void>;
}
