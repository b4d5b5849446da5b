/**
 * The one interface every runtime implements (process, docker, kubernetes). Nothing outside
 * `provisioner/runtimes/` knows which runtime runs an environment; the orchestrator hands a
 * runtime a `RuntimeEnvironment` and persists the `Deployment` it returns.
 */
import type { RuntimeName, EnvironmentEvent } from "../environments/environment-schema.ts";
import type { LogStore } from "../logs/log-store.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";

/** Everything a runtime needs to know about the environment it runs. */
export interface RuntimeEnvironment {
  id: string;
  name: string;
  ref: string;
  commit: string;
  /** The monorepo root on disk: the worktree (or the caller's worktree) joined with `dir`. */
  rootDir: string;
  /** A directory owned by this environment; removed with it. Runtimes keep their data below it. */
  dataDir: string;
  manifest: Manifest;
  /** The public preview URL of each app (`http://<app>--<id>.<base-domain>:<port>`). */
  appUrls: Record<string, string>;
  /** OFREP base URL of this environment, handed to apps as PREVIEW_FLAGS_URL. */
  flagsUrl: string;
  /** Handed to apps as PREVIEW_FLAGS_TOKEN when previewd's auth is on. */
  flagsToken?: string;
  /**
   * The caller's own worktree, run in place: the files git does not track there are the caller's
   * (an `.env`, say), so no runtime copies them into caches shared with other environments.
   */
  inPlace?: boolean;
  /**
   * previewd checked the worktree out for this very provision (a new environment, or a retry,
   * which starts from a new worktree): nothing but the tracked files is in it yet, so a runtime
   * need not list what else is there.
   */
  checkedOutNow?: boolean;
  /**
   * With checkedOutNow: its tracked files as `git ls-files -s -z` lists them, read from the commit
   * while it was checked out (WorktreeManager.trackedAt). Rejected: list the worktree's index.
   */
  checkoutIndex?: Promise<string[]>;
  /**
   * An update's checkout wrote what it changed in `rootDir` as this user and nothing there as
   * anyone else (as root: the user `rootDir` had been handed to, runner-checkout.ts). A runtime
   * whose steps run as this user need not hand `rootDir` over to them again.
   */
  checkedOutAs?: { uid: number; gid: number };
}

export type DeployedAppStatus = "starting" | "healthy" | "unhealthy" | "crashed" | "stopped" | "failed";
export type DeployedServiceStatus = "starting" | "running" | "crashed" | "stopped" | "failed";

export interface DeployedApp {
  status: DeployedAppStatus;
  /** Where previewd (and the proxy) reach the app, on loopback: `http://127.0.0.1:<port>`. */
  directUrl: string;
  /** Hash of everything that decides the app's build and process; unchanged hash, no rebuild or restart. */
  inputHash: string;
  /** Runtime-specific handle (pid and process group, container id, …). */
  handle: Record<string, unknown>;
}

export interface DeployedService {
  type: string;
  status: DeployedServiceStatus;
  /** Connection URL from previewd's side (loopback). Contains credentials: never log it. */
  url: string;
  /** Connection URL from the apps' side (what `${services.<s>.url}` resolves to). */
  internalUrl: string;
  handle: Record<string, unknown>;
}

/** What a runtime started for one environment. JSON-serializable; persisted in previewd's state. */
export interface Deployment {
  runtime: RuntimeName;
  apps: Record<string, DeployedApp>;
  services: Record<string, DeployedService>;
}

/** Per-call context: progress reporting, cancellation and the environment's log store. */
export interface RuntimeContext {
  signal: AbortSignal;
  logs: LogStore;
  /** Report one provisioning step (becomes an SSE event and a `previewd` log line). */
  event(event: Omit<EnvironmentEvent, "ts">): void;
  /**
   * Run one phase (`install`, `build`, `services`, `release`, `start`) and add its duration to
   * the environment's timings. Phases may run more than once (per app): runs that overlap count
   * once (the time at least one was under way), the others add up.
   */
  phase<T>(name: string, work: () => Promise<T>): Promise<T>;
  /** Persist a partial deployment so a crash mid-provision can still find what was started. */
  checkpoint(deployment: Deployment): Promise<void>;
}

export interface Runtime {
  readonly name: RuntimeName;
  /** Throws RuntimeUnavailableError, saying what is missing, if this runtime cannot run here. */
  checkAvailable(): Promise<void>;
  /** Whether provision reads a new worktree's tracked files (RuntimeEnvironment.checkoutIndex). */
  readonly readsTrackedFiles?: boolean;
  /**
   * Install, build, start services and apps in dependency order, wait for health.
   * On failure throws a ProvisionError (step, app, log tail) after removing whatever it started.
   */
  provision(env: RuntimeEnvironment, ctx: RuntimeContext): Promise<Deployment>;
  /** Rebuild and restart only the apps whose input hash changed; services and their data stay. */
  update(env: RuntimeEnvironment, current: Deployment, ctx: RuntimeContext): Promise<Deployment>;
  /**
   * An environment's provision or update ran to its end, seed included (ready or failed): work
   * kept for such a moment (copies ahead for the next environment) may start. Never fails.
   */
  operationEnded?(): void;
  /**
   * After previewd restarts: take back a deployment that is still alive (and resume capturing
   * its logs). Returns undefined if it cannot be adopted; the orchestrator then destroys it.
   */
  adopt(
    env: RuntimeEnvironment,
    deployment: Deployment,
    ctx: RuntimeContext,
  ): Promise<Deployment | undefined>;
  /**
   * Stop and remove everything this runtime started for the environment, found by its labels
   * (process environment, container labels, namespace), so it works without a deployment record.
   * Idempotent.
   */
  destroy(envId: string, dataDir: string): Promise<void>;
  /** Remove everything labelled as ours whose environment id is not in `keep`. Returns the ids removed. */
  reconcile(keep: ReadonlySet<string>): Promise<string[]>;
  /** Stop background work (log tailing, timers) without touching environments. */
  close(): Promise<void>;
  /**
   * Hands the log store every line the environment's processes have written so far (a runtime
   * that follows log files reads them to their end now), so a log query sees what happened
   * before it was asked. Optional: runtimes that stream logs have nothing to catch up on.
   */
  flushLogs?(envId: string): Promise<void>;
  /**
   * Watches what `deployment` runs until `stop()`: an app or service that exits, or an app that
   * keeps failing its health check, is reported (`crashed`, `unhealthy`) and restarted with backoff
   * on its port and with its data (supervision/supervisor.ts); every change goes to `ctx`. Called
   * only while no provision, update or delete runs. Left out by runtimes whose platform restarts
   * what it runs itself.
   */
  supervise?(env: RuntimeEnvironment, deployment: Deployment, ctx: SupervisionContext): Supervision;
  /**
   * Runtimes that run each environment's own Chromium (kubernetes: in its namespace) answer with
   * the loopback DevTools HTTP URL it is reachable at (`http://127.0.0.1:<port>`), or undefined
   * while it is not reachable; the CDP bridge then attaches to it instead of launching one.
   * Left out by runtimes whose environments use the bridge's own browsers.
   */
  browserEndpoint?(envId: string): string | undefined;
  /**
   * Where the app's current instance listens (`http://127.0.0.1:<port>`) when its directUrl is a
   * relay in front of it (a front, fronts/app-front.ts), read from the deployed app's handle: the
   * preview proxy goes there directly, one relay hop less. A switchover puts the new instance on
   * record once the front points at it, so the proxy and the front switch together. Left out by
   * runtimes whose directUrl reaches the instance with no relay of previewd's in between.
   */
  instanceUrl?(app: DeployedApp): string | undefined;
  /**
   * Starts one service again, clean, on the same address inside the environment (a scenario load
   * does it to `command` services, so a twin forgets what it held in memory). Resolves with the
   * deployment holding the service's new handle; throws a ProvisionError if it does not come back.
   */
  restartService(
    env: RuntimeEnvironment,
    deployment: Deployment,
    name: string,
    ctx: RuntimeContext,
  ): Promise<Deployment>;
  /**
   * Runs `command` (`sh -c`) to completion in the app's path with the app's full environment
   * (as its process got it) plus `options.env`; output is captured into the app's logs too.
   */
  exec(
    env: RuntimeEnvironment,
    deployment: Deployment,
    app: string,
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult>;
}

/** Where a supervision reports; it outlives the call that started it. */
export interface SupervisionContext {
  logs: LogStore;
  /** An app's status or, after a restart, its handle changed. */
  appChanged(app: string, deployed: DeployedApp): void;
  serviceChanged(name: string, deployed: DeployedService): void;
  /** A crash, a restart, a recovery: an SSE event and a `previewd` log line. */
  event(event: Omit<EnvironmentEvent, "ts">): void;
}

export interface Supervision {
  /** Ends the watch; a restart under way is abandoned (what it started is stopped). Never rejects. */
  stop(): Promise<void>;
}

export interface ExecOptions {
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Default 5 minutes; a command still running then is stopped (exit code -1). */
  timeoutMs?: number;
}

export interface ExecResult {
  /** -1 when it was stopped by a signal (timeout, abort). */
  exitCode: number;
  /** Its output, stdout and stderr interleaved, at most the last few hundred lines. */
  output: string[];
}
