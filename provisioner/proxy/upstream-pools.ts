/**
 * Keep-alive connections from the proxy to the apps: one http.Agent per environment, so a
 * request reuses a connection to its app (its current instance, or its front and the front's to
 * the app) instead of opening one per request, and no connection ever carries two environments'
 * traffic, even when a port passes from a deleted environment to a new one.
 *
 * A redeploy starts a new instance and points the app's front (and the record, which the proxy
 * reads) at it; connections opened before keep reaching the old one. Every event of an
 * environment (the switchover's "now serving" among them, emitted once the front and the record
 * name the new instance) therefore retires its pool: idle connections close at once, busy ones
 * close when their response is done, so the old instance drains promptly and the next request
 * opens a connection that reaches the new one.
 */
import http from "node:http";

export interface UpstreamPoolsOptions {
  /** The environment's events (Orchestrator.subscribe); returns the unsubscribe function. */
  subscribe(envId: string, listener: () => void): () => void;
  /** Connections per app at most; requests beyond wait for one. */
  maxSockets?: number;
  /**
   * An idle connection is closed after this long: less than Node's default server
   * keepAliveTimeout (5 s), so the proxy rarely reuses one the app is closing at that moment.
   */
  idleMs?: number;
}

interface Pool {
  agent: http.Agent;
  unsubscribe: () => void;
}

export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: Required<UpstreamPoolsOptions>;

  constructor(options: UpstreamPoolsOptions) {
    this.#options = { maxSockets: 256, idleMs: 4_000, ...options };
  }

  /** The agent for requests to an app of `envId`. */
  agentFor(envId: string): http.Agent {
    const pool = this.#pools.get(envId);
    if (pool) return pool.agent;
    const agent = new http.Agent({
      keepAlive: true,
      maxSockets: this.#options.maxSockets,
      maxFreeSockets: this.#options.maxSockets,
      timeout: this.#options.idleMs,
      scheduling: "lifo", // the most recently used connection is the least likely to be closing
    });
    const unsubscribe = this.#options.subscribe(envId, () => this.retire(envId));
    this.#pools.set(envId, { agent, unsubscribe });
    return agent;
  }

  /** Requests from now on open new connections; the old ones close once idle. */
  retire(envId: string): void {
    const pool = this.#pools.get(envId);
    if (!pool) return;
    this.#pools.delete(envId);
    pool.unsubscribe();
    retireAgent(pool.agent);
  }

  /** Retires every pool (previewd is stopping). */
  close(): void {
    for (const envId of [...this.#pools.keys()]) this.retire(envId);
  }

  /** How many environments have a pool (tests). */
  get size(): number {
    return this.#pools.size;
  }
}

function retireAgent(agent: http.Agent): void {
  // A socket whose request finishes is destroyed instead of going back to the pool.
  agent.keepSocketAlive = () => false;
  for (const sockets of Object.values(agent.freeSockets)) {
    for (const socket of sockets ?? []) socket.destroy();
  }
}
