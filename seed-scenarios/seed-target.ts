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
  /** A connection URL of the service reachable from previewd (contains credentials: never log it). */
  sqlUrl(service: string): string;
  /** The app's base URL reachable from previewd, e.g. `http://127.0.0.1:41234`. */
  appUrl(app: string): string;
  /** Runs `command` with `sh -c` in the app's path, with the app's environment plus `env`. */
  exec(app: string, command: string, env: Record<string, string>, signal: AbortSignal): Promise<ExecResult>;
}
