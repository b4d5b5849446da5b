/**
 * An in-memory Orchestrator for API, proxy and CLI tests. Tests drive it directly:
 * `setStatus`, `emit`, `failWith`, `setDirectUrl`, `setInstanceUrl`.
 */
import type {
  CreateEnvironmentRequest,
  EnvironmentEvent,
  EnvironmentStatus,
  EnvironmentView,
} from "../environments/environment-schema.ts";
import { ConflictError, NotFoundError } from "../errors.ts";
import type { CreateResult, Orchestrator, ResolvedApp, SettleResult } from "../orchestrator/orchestrator.ts";

type Method = keyof Orchestrator;

export class FakeOrchestrator implements Orchestrator {
  readonly environments = new Map<string, EnvironmentView>();
  readonly requests: CreateEnvironmentRequest[] = [];
  readonly #events = new Map<string, EnvironmentEvent[]>();
  readonly #listeners = new Map<string, Set<(event: EnvironmentEvent) => void>>();
  readonly #changes = new Set<() => void>();
  readonly #failures = new Map<Method, unknown>();
  readonly #directUrls = new Map<string, string>();
  readonly #instanceUrls = new Map<string, string>();

  constructor(private readonly baseDomain = "localhost:7070") {}

  /** The next (and every later) call of `method` throws `error` until cleared with `undefined`. */
  failWith(method: Method, error: unknown): void {
    if (error === undefined) this.#failures.delete(method);
    else this.#failures.set(method, error);
  }

  add(id: string, overrides: Partial<EnvironmentView> = {}): EnvironmentView {
    const now = new Date().toISOString();
    const view: EnvironmentView = {
      id,
      name: "shop",
      repo: "/repos/shop",
      ref: "main",
      dir: null,
      commit: "0123456789abcdef0123456789abcdef01234567",
      runtime: "process",
      status: "provisioning",
      scenario: "demo",
      seed: null,
      apps: { web: { url: `http://web--${id}.${this.baseDomain}`, directUrl: null, status: "pending" } },
      services: { db: { type: "postgres", status: "pending" } },
      flags: {},
      flagsUrl: `http://127.0.0.1:7070/v1/environments/${id}`,
      devtools: null,
      timings: {},
      createdAt: now,
      updatedAt: now,
      expiresAt: null,
      error: null,
      ...overrides,
    };
    this.environments.set(id, view);
    this.#changed();
    return view;
  }

  setStatus(id: string, status: EnvironmentStatus, overrides: Partial<EnvironmentView> = {}): void {
    this.environments.set(id, { ...this.get(id), ...overrides, status, updatedAt: new Date().toISOString() });
    this.#changed();
  }

  setDirectUrl(id: string, app: string, directUrl: string | undefined): void {
    const key = `${id}/${app}`;
    if (directUrl) this.#directUrls.set(key, directUrl);
    else this.#directUrls.delete(key);
  }

  /** The app's instance behind its directUrl (Runtime.instanceUrl); undefined: none. */
  setInstanceUrl(id: string, app: string, instanceUrl: string | undefined): void {
    const key = `${id}/${app}`;
    if (instanceUrl) this.#instanceUrls.set(key, instanceUrl);
    else this.#instanceUrls.delete(key);
  }

  remove(id: string): void {
    this.environments.delete(id);
    this.#changed();
  }

  emit(id: string, event: Omit<EnvironmentEvent, "ts"> & { ts?: string }): void {
    const full = { ts: new Date().toISOString(), ...event };
    const events = this.#events.get(id) ?? [];
    events.push(full);
    this.#events.set(id, events);
    for (const listener of this.#listeners.get(id) ?? []) listener(full);
  }

  listenerCount(id: string): number {
    return this.#listeners.get(id)?.size ?? 0;
  }

  async create(request: CreateEnvironmentRequest): Promise<CreateResult> {
    this.#maybeFail("create");
    this.requests.push(request);
    const id = `shop-${(request.ref ?? "main").replace(/[^a-z0-9]+/g, "-")}`;
    const existing = this.environments.get(id);
    if (existing) return { environment: existing, created: false };
    return {
      environment: this.add(id, { repo: request.repo, ref: request.ref ?? "main", dir: request.dir ?? null }),
      created: true,
    };
  }

  list(): EnvironmentView[] {
    this.#maybeFail("list");
    return [...this.environments.values()];
  }

  get(id: string): EnvironmentView {
    this.#maybeFail("get");
    const view = this.environments.get(id);
    if (!view) throw new NotFoundError(`environment ${id} not found`);
    return view;
  }

  async patch(id: string, patch: { ttl: number | string | null }): Promise<EnvironmentView> {
    this.#maybeFail("patch");
    const expiresAt = patch.ttl === null ? null : new Date(Date.now() + 3600_000).toISOString();
    this.setStatus(id, this.get(id).status, { expiresAt });
    return this.get(id);
  }

  async redeploy(id: string): Promise<EnvironmentView> {
    this.#maybeFail("redeploy");
    this.setStatus(id, "updating");
    return this.get(id);
  }

  async delete(id: string): Promise<EnvironmentView> {
    this.#maybeFail("delete");
    if (this.get(id).status === "deleting")
      throw new ConflictError(`environment ${id} is already being deleted`);
    this.setStatus(id, "deleting");
    return this.get(id);
  }

  waitFor(id: string, statuses: EnvironmentStatus[], timeoutMs: number): Promise<EnvironmentView> {
    this.#maybeFail("waitFor");
    const status = () => this.environments.get(id)?.status;
    return this.#until(() => statuses.some((s) => s === status()), timeoutMs).then(() => this.get(id));
  }

  /** The fake has no queue: an environment has settled once it is neither provisioning nor updating. */
  async settle(id: string, timeoutMs: number): Promise<SettleResult> {
    this.#maybeFail("settle");
    const busy = () => ["provisioning", "updating"].includes(this.environments.get(id)?.status ?? "");
    const settled = await this.#until(() => !busy(), timeoutMs);
    return { environment: this.get(id), settled };
  }

  async waitForDeletion(id: string, timeoutMs: number): Promise<void> {
    this.#maybeFail("waitForDeletion");
    const gone = await this.#until(() => !this.environments.has(id), timeoutMs);
    if (!gone) throw new ConflictError(`environment ${id} was not deleted within ${timeoutMs}ms`);
  }

  events(id: string): EnvironmentEvent[] {
    this.#maybeFail("events");
    return [...(this.#events.get(id) ?? [])];
  }

  subscribe(id: string, listener: (event: EnvironmentEvent) => void): () => void {
    const listeners = this.#listeners.get(id) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(id, listeners);
    return () => listeners.delete(listener);
  }

  resolveApp(id: string, app: string): ResolvedApp | undefined {
    const directUrl = this.#directUrls.get(`${id}/${app}`);
    const instanceUrl = this.#instanceUrls.get(`${id}/${app}`);
    return directUrl ? { directUrl, ...(instanceUrl && { instanceUrl }) } : undefined;
  }

  async flushLogs(): Promise<void> {}

  #maybeFail(method: Method): void {
    if (this.#failures.has(method)) throw this.#failures.get(method);
  }

  #changed(): void {
    for (const listener of [...this.#changes]) listener();
  }

  /** Resolves true once `done()` holds, false at the deadline. */
  #until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        this.#changes.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.#changes.add(check);
    });
  }
}
