/**
 * The orchestrator owns environments: their records, their lifecycle and the one-at-a-time
 * order of operations on each. Runtimes do the running; sources do the git; this file decides.
 */
import { EventEmitter } from "node:events";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Mutex } from "async-mutex";
import type {
  CreateEnvironmentRequest,
  EnvironmentEvent,
  EnvironmentStatus,
  EnvironmentView,
  FlagValue,
  RuntimeName,
} from "../environments/environment-schema.ts";
import { ConflictError, NotFoundError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { LogStore } from "../logs/log-store.ts";
import type { Runtime, RuntimeEnvironment } from "../runtimes/runtime.ts";
import type { RepoSources } from "../sources/repo-source.ts";
import type { WorktreeManager } from "../sources/worktree-manager.ts";
import { flagsToken } from "../flags/flags-token.ts";
import { ofrepBaseUrl } from "../flags/ofrep-base-url.ts";
import { ttlSeconds } from "./environment-id.ts";
import { newRecord, toView, type DevtoolsView, type EnvironmentRecord } from "./environment-record.ts";
import { OperationQueue } from "./operation-queue.ts";
import { runOperation, type OperationDeps } from "./environment-operations.ts";
import { EventHub } from "./event-hub.ts";
import { EnvironmentSupervision } from "./environment-supervision.ts";
import type { CreateResult, Orchestrator, ResolvedApp, SettleResult } from "./orchestrator.ts";
import { settledWithin } from "./settled-within.ts";
import { listScenarios, loadScenarioNow, requestedScenario } from "./scenario-operations.ts";
import type { ScenarioService } from "./scenario-service.ts";
import { initialFlags, resolveSource, type ResolvedSource } from "./source-resolver.ts";
import { StateStore } from "./state-store.ts";
import { removeTree } from "../remove-tree.ts";

export interface OrchestratorDeps {
  dataDir: string;
  logger: Logger;
  logs: LogStore;
  sources: RepoSources;
  worktrees: WorktreeManager;
  runtimes: Partial<Record<RuntimeName, Runtime>>;
  defaultRuntime: RuntimeName;
  /** 0 keeps new environments until deleted. */
  defaultTtlSeconds: number;
  /** previewd's own loopback origin; known only once the server listens. */
  origin: () => string;
  appUrl: (id: string, app: string) => string;
  /** The CDP bridge, when it is on (devtools-bridge/). */
  devtools?: EnvironmentDevtools;
  /** previewd's API token, if auth is on; apps get a per-environment token derived from it. */
  token?: string;
  now?: () => Date;
}

/**
 * An environment's devtools as the orchestrator sees them: its endpoints, and its own listener
 * (`devtools.browserUrl`), opened before anyone sees the environment and closed again if its
 * creation fails (once created, the composition root frees it on delete).
 */
export interface EnvironmentDevtools {
  endpoints(id: string): DevtoolsView | undefined;
  open(id: string): Promise<void>;
  close(id: string): Promise<void>;
}

export class EnvironmentOrchestrator implements Orchestrator, ScenarioService {
  readonly #records = new Map<string, EnvironmentRecord>();
  readonly #createLock = new Mutex();
  readonly #queue = new OperationQueue();
  readonly #changes = new EventEmitter().setMaxListeners(0);
  readonly #events = new EventHub();
  readonly #deletedListeners = new Set<(id: string) => void | Promise<void>>();
  readonly #state: StateStore;
  readonly #now: () => Date;
  readonly #supervision: EnvironmentSupervision = new EnvironmentSupervision(this);

  constructor(readonly deps: OrchestratorDeps) {
    this.#state = new StateStore(deps.dataDir);
    this.#now = deps.now ?? (() => new Date());
  }

  /** Records from disk, as they were when previewd last ran. Recovery decides what to do with them. */
  async load(): Promise<EnvironmentRecord[]> {
    const records = await this.#state.load();
    for (const record of records) this.#records.set(record.id, record);
    return records;
  }

  async create(request: CreateEnvironmentRequest): Promise<CreateResult> {
    const runtimeName = request.runtime ?? this.deps.defaultRuntime;
    const runtime = this.runtime(runtimeName);
    const source = await resolveSource(request, this.deps);
    const flags = initialFlags(source.manifest, request.flags);
    const scenario = await requestedScenario(source, request.scenario, this.deps.sources);
    await runtime.checkAvailable();

    return this.#createLock.runExclusive(async () => {
      const existing = [...this.#records.values()].find((r) => r.key === source.key);
      if (existing) {
        await this.deps.devtools?.open(existing.id);
        this.#reuse(existing, source);
        return { environment: this.#view(existing), created: false };
      }
      const now = this.#now();
      const ttl = request.ttl === undefined ? this.deps.defaultTtlSeconds || null : request.ttl;
      const record = newRecord({
        source,
        runtime: runtimeName,
        flags,
        scenario,
        now,
        expiresAt: this.#expiry(ttl, now),
      });
      await this.deps.devtools?.open(record.id);
      this.#records.set(record.id, record);
      // Not on disk, not created: a failed write leaves nothing behind.
      await this.#persist().catch(async (error: unknown) => {
        this.#records.delete(record.id);
        await this.deps.devtools?.close(record.id).catch(() => undefined);
        throw error;
      });
      this.deps.logger.info(
        { env: record.id, ref: record.ref, commit: record.commit },
        "environment created",
      );
      this.#schedule(record.id, "provision", source);
      return { environment: this.#view(record), created: true };
    });
  }

  list(): EnvironmentView[] {
    return [...this.#records.values()].map((r) => this.#view(r));
  }

  get(id: string): EnvironmentView {
    return this.#view(this.record(id));
  }

  async patch(id: string, patch: { ttl: number | string | null }): Promise<EnvironmentView> {
    const record = this.record(id);
    const previous = record.expiresAt;
    record.expiresAt = this.#expiry(patch.ttl);
    await this.#persist().catch((error: unknown) => {
      record.expiresAt = previous;
      throw error;
    });
    this.#touch(record);
    return this.#view(record);
  }

  async redeploy(id: string): Promise<EnvironmentView> {
    const record = this.record(id);
    if (record.status === "deleting") throw new ConflictError(`environment ${id} is being deleted`);
    // Resolve before anything changes: an unreachable remote or a broken manifest is the caller's 4xx.
    const source = await resolveSource(
      {
        repo: record.repo,
        ...(record.callerWorktree ? { worktree: record.callerWorktree } : { ref: record.ref }),
        ...(record.dir && { dir: record.dir }),
      },
      this.deps,
    );
    this.#schedule(id, record.deployment ? "update" : "provision", source);
    return this.#view(record);
  }

  async delete(id: string): Promise<EnvironmentView> {
    const record = this.record(id);
    if (record.status !== "deleting") {
      // Only a delete that is on disk interrupts what runs: a failed write changes nothing,
      // and nobody is told of a `deleting` that did not happen.
      await this.setStatusDurably(record, "deleting");
      this.#queue.abort(id);
      this.#schedule(id, "delete");
    }
    return this.#view(record);
  }

  waitFor(id: string, statuses: EnvironmentStatus[], timeoutMs: number): Promise<EnvironmentView> {
    this.record(id);
    return this.#waitUntil(id, timeoutMs, (record) => {
      if (!record) throw new NotFoundError(`environment ${id} was deleted`);
      return statuses.includes(record.status) ? this.#view(record) : undefined;
    }).then((view) => view ?? this.get(id));
  }

  async settle(id: string, timeoutMs: number): Promise<SettleResult> {
    this.record(id);
    const settled = await settledWithin(this.#queue.settled(id), timeoutMs);
    return { environment: this.get(id), settled };
  }

  async waitForDeletion(id: string, timeoutMs: number): Promise<void> {
    const gone = await this.#waitUntil(id, timeoutMs, (record) => (record ? undefined : true));
    if (!gone) throw new ConflictError(`environment ${id} is still being deleted after ${timeoutMs} ms`);
  }

  events(id: string): EnvironmentEvent[] {
    this.record(id);
    return this.#events.history(id);
  }

  subscribe(id: string, listener: (event: EnvironmentEvent) => void): () => void {
    return this.#events.subscribe(id, listener);
  }

  resolveApp(id: string, app: string): ResolvedApp | undefined {
    const deployment = this.#records.get(id)?.deployment;
    const deployed = deployment?.apps[app];
    if (!deployed || deployed.status === "stopped" || deployed.status === "crashed") return undefined;
    const instanceUrl = this.deps.runtimes[deployment.runtime]?.instanceUrl?.(deployed);
    return { directUrl: deployed.directUrl, ...(instanceUrl && { instanceUrl }) };
  }

  async flushLogs(id: string): Promise<void> {
    const runtime = this.#records.get(id)?.runtime;
    if (runtime) await this.deps.runtimes[runtime]?.flushLogs?.(id);
  }

  /**
   * Set flag values (checked against the manifest's declarations: unknown keys and wrong types
   * are a ValidationError). Each change is logged with its old and new value; subscribers of
   * `subscribeFlags` hear about it. Takes effect for the next evaluation, with no restart.
   */
  async setFlags(
    id: string,
    values: Record<string, FlagValue>,
    source: string,
  ): Promise<Record<string, FlagValue>> {
    const record = this.record(id);
    initialFlags(record.manifest, values);
    const changed = Object.entries(values).filter(([key, value]) => record.flags[key] !== value);
    if (changed.length === 0) return record.flags;
    const previous = record.flags;
    record.flags = { ...record.flags, ...values };
    await this.#persist().catch((error: unknown) => {
      record.flags = previous;
      throw error;
    });
    for (const [key, value] of changed) {
      const line = `flag ${key}: ${JSON.stringify(previous[key])} -> ${JSON.stringify(value)} (${source})`;
      this.deps.logs.append(id, { app: "previewd", stream: "system", line });
    }
    this.#touch(record);
    this.#changes.emit(`flags:${id}`, record.flags);
    return record.flags;
  }

  subscribeFlags(id: string, listener: (flags: Record<string, FlagValue>) => void): () => void {
    this.#changes.on(`flags:${id}`, listener);
    return () => this.#changes.off(`flags:${id}`, listener);
  }

  /** Called once an environment is gone for good (after delete), e.g. to stop its browser. */
  onDeleted(listener: (id: string) => void | Promise<void>): () => void {
    this.#deletedListeners.add(listener);
    return () => this.#deletedListeners.delete(listener);
  }

  /** Called on every status change of any environment (metrics: provisioning outcomes and timings). */
  onStatusChange(listener: (id: string, status: EnvironmentStatus) => void): () => void {
    // "status:" cannot collide with the per-id keys: ids are DNS labels, without ":".
    this.#changes.on("status:", listener);
    return () => this.#changes.off("status:", listener);
  }

  /** Delete every environment whose time to live has passed. */
  async reapExpired(): Promise<string[]> {
    const now = this.#now().toISOString();
    const expired = [...this.#records.values()].filter(
      (r) => r.expiresAt !== null && r.expiresAt <= now && r.status !== "deleting",
    );
    for (const record of expired) {
      this.deps.logger.info({ env: record.id, expiresAt: record.expiresAt }, "environment expired");
      await this.delete(record.id);
    }
    return expired.map((r) => r.id);
  }

  // --- seed scenarios (scenario-operations.ts) ---

  listScenarios(id: string): ReturnType<ScenarioService["listScenarios"]> {
    return listScenarios(this, id);
  }

  loadScenario(id: string, name: string): Promise<EnvironmentView> {
    return loadScenarioNow(this, id, name);
  }

  /**
   * Runs `work` alone on the environment's queue, after the operations asked before it, and
   * resolves with its result. A delete aborts `signal`.
   */
  exclusive<T>(id: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.#queue.run(id, async (signal) => {
      // What runs here stops, replaces or resets things on purpose (an update, a delete, a
      // scenario load): no crash. An operation queued ahead may have started a watch again.
      await this.#supervision.stop(id);
      try {
        return await work(signal);
      } finally {
        const record = this.#records.get(id);
        if (record) this.#supervision.watch(record);
      }
    });
  }

  /** Watch a ready environment's apps and services and restart what crashes (environment-supervision.ts). */
  supervise(record: EnvironmentRecord): void {
    this.#supervision.watch(record);
  }

  /** Stop every watch (shutdown; environments keep running, and a restarted previewd watches them again). */
  stopSupervising(): Promise<void> {
    return this.#supervision.stopAll();
  }

  /** Wait for every queued operation (tests and shutdown). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  record(id: string): EnvironmentRecord {
    const record = this.#records.get(id);
    if (!record) {
      const known = [...this.#records.keys()];
      throw new NotFoundError(`no environment ${JSON.stringify(id)}; known: ${known.join(", ") || "none"}`);
    }
    return record;
  }

  runtime(name: RuntimeName): Runtime {
    const runtime = this.deps.runtimes[name];
    if (!runtime) {
      const available = Object.keys(this.deps.runtimes).join(", ");
      throw new ValidationError(`runtime ${name} is not available`, {
        errors: [{ path: "runtime", message: `expected one of ${available} (got ${JSON.stringify(name)})` }],
      });
    }
    return runtime;
  }

  runtimeEnvironment(record: EnvironmentRecord): RuntimeEnvironment {
    if (!record.worktreePath) throw new ConflictError(`environment ${record.id} has no worktree`);
    const origin = this.deps.origin();
    return {
      id: record.id,
      name: record.name,
      ref: record.ref,
      commit: record.commit,
      rootDir: path.join(record.worktreePath, record.dir ?? ""),
      dataDir: this.dataDir(record.id),
      manifest: record.manifest,
      appUrls: Object.fromEntries(
        Object.keys(record.manifest.apps).map((a) => [a, this.deps.appUrl(record.id, a)]),
      ),
      flagsUrl: ofrepBaseUrl(origin, record.id),
      ...(this.deps.token && { flagsToken: flagsToken(this.deps.token, record.id) }),
      ...(record.callerWorktree && { inPlace: true }),
    };
  }

  dataDir(id: string): string {
    return path.join(this.deps.dataDir, "environments", id);
  }

  /** Record a step: an SSE event and a `previewd` log line. */
  emit(id: string, event: Omit<EnvironmentEvent, "ts">): void {
    const full = { ts: this.#now().toISOString(), ...event };
    this.#events.emit(id, full);
    const subject = event.app ? `${event.step} ${event.app}` : event.step;
    this.deps.logs.append(id, {
      app: "previewd",
      stream: "system",
      line: `${subject} ${event.status}: ${event.message}`,
    });
  }

  setStatus(record: EnvironmentRecord, status: EnvironmentStatus): void {
    this.#setStatus(record, status);
  }

  /**
   * Sets a final status (ready, failed) and tells waiters only once it is on disk: a client
   * answered "ready" may kill -9 previewd at once, and the restart must still adopt it.
   */
  async setStatusDurably(record: EnvironmentRecord, status: EnvironmentStatus): Promise<void> {
    const previous = record.status;
    record.status = status;
    record.updatedAt = this.#now().toISOString();
    await this.#persist().catch((error: unknown) => {
      // Not on disk, not so: the caller decides what a status that could not be saved means.
      record.status = previous;
      throw error;
    });
    this.#touch(record);
    if (previous !== status) this.#changes.emit("status:", record.id, status);
  }

  persist(): Promise<void> {
    return this.#persist();
  }

  /** Forget a deleted environment for good. */
  async forget(id: string): Promise<void> {
    const record = this.#records.get(id);
    this.#records.delete(id);
    // Gone from disk first: an environment that could not be forgotten there stays, to delete again.
    await this.#persist().catch((error: unknown) => {
      if (record) this.#records.set(id, record);
      throw error;
    });
    this.#events.forget(id);
    await this.deps.logs.remove(id);
    await removeTree(this.dataDir(id));
    for (const listener of this.#deletedListeners) {
      await Promise.resolve(listener(id)).catch((error: unknown) =>
        this.deps.logger.error({ env: id, err: error }, "cleanup after delete failed"),
      );
    }
    // Waiters hear of the delete once everything of it is gone (its browser, its browserUrl port).
    this.#changes.emit(id);
  }

  resetEvents(id: string): void {
    this.#events.reset(id);
  }

  async prepareDataDir(id: string): Promise<string> {
    const dir = this.dataDir(id);
    // Postgres runs as its own OS user when previewd is root; it must be able to reach its data.
    await mkdir(dir, { recursive: true, mode: 0o755 });
    return dir;
  }

  #reuse(record: EnvironmentRecord, source: ResolvedSource): void {
    if (record.status === "deleting")
      throw new ConflictError(`environment ${record.id} is being deleted; try again when it is gone`);
    if (record.status === "failed") this.#schedule(record.id, "provision", source);
    else if (record.commit !== source.commit) this.#schedule(record.id, "update", source);
  }

  #expiry(ttl: number | string | null | undefined, from = this.#now()): string | null {
    if (ttl === null || ttl === undefined) return null;
    return new Date(from.getTime() + ttlSeconds(ttl) * 1000).toISOString();
  }

  /** Queue a lifecycle operation; nobody waits for it (progress goes to events and status). */
  #schedule(id: string, kind: OperationDeps["kind"], source?: ResolvedSource): void {
    // What an operation stops or replaces on purpose is no crash: no restarts from now until it ends.
    const unwatched = this.#supervision.stop(id);
    void this.exclusive(id, async (signal) => {
      await unwatched;
      const record = this.#records.get(id);
      if (!record || (record.status === "deleting" && kind !== "delete")) return;
      await runOperation({ kind, record, source, signal, orchestrator: this, deps: this.deps });
    }).catch((error: unknown) => this.deps.logger.error({ env: id, err: error }, `${kind} crashed`));
  }

  /**
   * Resolves with `check(record)` once it is defined, re-checking on every change of the
   * environment; resolves undefined when `timeoutMs` passes first. A throwing check rejects.
   */
  #waitUntil<T>(
    id: string,
    timeoutMs: number,
    check: (record: EnvironmentRecord | undefined) => T | undefined,
  ): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const onChange = () => {
        try {
          const result = check(this.#records.get(id));
          if (result !== undefined) finish(() => resolve(result));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const timer = setTimeout(() => finish(() => resolve(undefined)), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#changes.off(id, onChange);
        settle();
      };
      this.#changes.on(id, onChange);
      onChange();
    });
  }

  #setStatus(record: EnvironmentRecord, status: EnvironmentStatus): void {
    const previous = record.status;
    record.status = status;
    this.#touch(record);
    if (previous !== status) this.#changes.emit("status:", record.id, status);
  }

  #touch(record: EnvironmentRecord): void {
    record.updatedAt = this.#now().toISOString();
    this.#changes.emit(record.id);
  }

  #persist(): Promise<void> {
    return this.#state.save(() => [...this.#records.values()]);
  }

  #view(record: EnvironmentRecord): EnvironmentView {
    return toView(record, {
      origin: this.deps.origin(),
      appUrl: this.deps.appUrl,
      ...(this.deps.devtools && { devtools: (id: string) => this.deps.devtools?.endpoints(id) }),
    });
  }
}
