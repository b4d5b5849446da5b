/**
 * What loading a scenario needs from a running environment, and nothing more: this folder never
 * imports runtimes or the orchestrator; the orchestrator hands it one of these.
 */
export interface ExecResult {
  exitCode: number;
  output: string[];
}

export interface SeedTarget {
  /** The postgres services whose data a reset restores. */
  postgresServices: string[];
  /** The redis services a reset empties (FLUSHALL). */
  redisServices: string[];
  /** The `command` services a reset restarts: what a twin holds lives in its process. */
  commandServices: string[];
  /** A connection URL of the service reachable from previewd (contains credentials: never log it). */
  sqlUrl(service: string): string;
  /** `redis://127.0.0.1:<port>`: the redis service as previewd reaches it. */
  redisUrl(service: string): string;
  /** Starts the service again, clean; resolves once it is ready. */
  restartService(service: string, signal: AbortSignal): Promise<void>;
  /** The app's base URL reachable from previewd, e.g. `http://127.0.0.1:41234`. */
  appUrl(app: string): string;
  /** Runs `command` with `sh -c` in the app's path, with the app's environment plus `env`. */
  exec(app: string, command: string, env: Record<string, string>, signal: AbortSignal): Promise<ExecResult>;
}
