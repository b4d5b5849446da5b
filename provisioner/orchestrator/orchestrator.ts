/**
 * What the HTTP API, the CLI's server and later the webhook and MCP layers ask of previewd.
 * The API turns requests into these calls and never touches git, processes or Docker itself.
 */
import type {
  CreateEnvironmentRequest,
  EnvironmentEvent,
  EnvironmentStatus,
  EnvironmentView,
} from "../environments/environment-schema.ts";

export interface CreateResult {
  environment: EnvironmentView;
  /** true: a new environment (201); false: an existing one was returned, and updated if its ref moved (200). */
  created: boolean;
}

export interface SettleResult {
  environment: EnvironmentView;
  /** false: the deadline passed first; `environment` is as it is now. */
  settled: boolean;
}

export interface ResolvedApp {
  directUrl: string;
  /** The app's current instance, behind the relay directUrl is (Runtime.instanceUrl). */
  instanceUrl?: string;
}

export interface Orchestrator {
  /** Validates the request, the source and the manifest before creating anything. */
  create(request: CreateEnvironmentRequest): Promise<CreateResult>;
  list(): EnvironmentView[];
  /** Throws NotFoundError. */
  get(id: string): EnvironmentView;
  /** `ttl: null` keeps the environment until deleted. */
  patch(id: string, patch: { ttl: number | string | null }): Promise<EnvironmentView>;
  /** Fetch the ref again; rebuild and restart only the apps whose inputs changed. */
  redeploy(id: string): Promise<EnvironmentView>;
  /** Starts deletion; resolves once the environment is `deleting`. */
  delete(id: string): Promise<EnvironmentView>;
  /** Resolves with the environment once its status is one of `statuses`, or when the deadline passes. */
  waitFor(id: string, statuses: EnvironmentStatus[], timeoutMs: number): Promise<EnvironmentView>;
  /**
   * Resolves once every operation asked of the environment so far (the provision or update a
   * create or redeploy queued) has finished, or when the deadline passes. Throws NotFoundError
   * when the environment is gone by then.
   */
  settle(id: string, timeoutMs: number): Promise<SettleResult>;
  /** Resolves once the environment is gone (or the deadline passes; then throws). */
  waitForDeletion(id: string, timeoutMs: number): Promise<void>;
  /** Past events of the environment's latest operation, then live ones via `subscribe`. */
  events(id: string): EnvironmentEvent[];
  subscribe(id: string, listener: (event: EnvironmentEvent) => void): () => void;
  /**
   * Where the proxy sends `<app>--<id>` traffic, or undefined if unknown / not running:
   * `instanceUrl` (Runtime.instanceUrl) when the runtime names one, else `directUrl`.
   */
  resolveApp(id: string, app: string): ResolvedApp | undefined;
  /** Every line the environment's processes wrote so far is in the log store once this resolves. */
  flushLogs(id: string): Promise<void>;
}
