/**
 * previewd's Prometheus metrics (served at GET /metrics). One registry per previewd, so tests
 * that start several in one process do not share counters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import {
  environmentStatusSchema,
  runtimeNameSchema,
  type EnvironmentStatus,
  type EnvironmentView,
} from "../environments/environment-schema.ts";

/** What metrics need of the orchestrator: the environments, and a word when one changes status. */
export interface WatchedEnvironments {
  list(): EnvironmentView[];
  onStatusChange(listener: (id: string, status: EnvironmentStatus) => void): () => void;
}

const secondsBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export class PreviewdMetrics {
  readonly registry = new Registry();
  readonly #httpRequests: Counter<"method" | "route" | "status">;
  readonly #httpDuration: Histogram<"method" | "route" | "status">;
  readonly #proxyRequests: Counter<"kind" | "status">;
  readonly #proxyPending = new Map<string, { kind: string; status: string; count: number }>();
  readonly #logLines: Counter<"stream">;
  readonly #phaseDuration: Histogram<"phase" | "runtime" | "outcome">;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: "previewd_" });
    this.#httpRequests = new Counter({
      name: "previewd_http_requests_total",
      help: "API requests answered, by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: "previewd_http_request_duration_seconds",
      help: "Time to answer an API request (streams: until they end)",
      labelNames: ["method", "route", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
    this.#proxyRequests = new Counter({
      name: "previewd_proxy_requests_total",
      help: "Requests and WebSocket upgrades to preview hosts, by kind and status",
      labelNames: ["kind", "status"],
      registers,
      collect: () => {
        for (const { kind, status, count } of this.#proxyPending.values())
          this.#proxyRequests.inc({ kind, status }, count);
        this.#proxyPending.clear();
      },
    });
    this.#logLines = new Counter({
      name: "previewd_log_lines_ingested_total",
      help: "Log lines stored, by stream",
      labelNames: ["stream"],
      registers,
    });
    this.#phaseDuration = new Histogram({
      name: "previewd_provisioning_phase_duration_seconds",
      help: "Duration of each provisioning phase (worktree, install, build, services, start, seed, total) of finished provisionings and updates",
      labelNames: ["phase", "runtime", "outcome"],
      buckets: secondsBuckets,
      registers,
    });
  }

  observeHttp(labels: { method: string; route: string; status: number }, seconds: number): void {
    const values = { ...labels, status: String(labels.status) };
    this.#httpRequests.inc(values);
    this.#httpDuration.observe(values, seconds);
  }

  countProxyRequest(kind: "http" | "websocket", status: number | "proxied" | "refused"): void {
    // Once per proxied request: counted in a plain map, handed to prom-client (which hashes a
    // labels object per increment) when /metrics is read.
    const key = `${kind} ${status}`;
    const pending = this.#proxyPending.get(key);
    if (pending) pending.count++;
    else this.#proxyPending.set(key, { kind, status: String(status), count: 1 });
  }

  countLogLine(stream: string): void {
    this.#logLines.inc({ stream });
  }

  /**
   * Environments by status and runtime (read at scrape time), and each provisioning's phase
   * timings once it ends ready or failed. Returns the unsubscribe function.
   */
  watchEnvironments(environments: WatchedEnvironments): () => void {
    const name = "previewd_environments";
    new Gauge({
      name,
      help: "Environments by status and runtime",
      labelNames: ["status", "runtime"],
      registers: [this.registry],
      collect() {
        this.reset();
        // Explicit zeros, so a dashboard sees a status drop to 0 instead of a series vanishing.
        for (const status of environmentStatusSchema.options) {
          for (const runtime of runtimeNameSchema.options) this.set({ status, runtime }, 0);
        }
        for (const env of environments.list()) this.inc({ status: env.status, runtime: env.runtime });
      },
    });
    const previous = new Map<string, string>();
    const unsubscribe = environments.onStatusChange((id, status) => {
      const before = previous.get(id);
      previous.set(id, status);
      if (status !== "ready" && status !== "failed") return;
      // A degraded environment back to ready (its crashed app restarted) ended no provisioning.
      if (before === "degraded") return;
      const env = environments.list().find((candidate) => candidate.id === id);
      if (!env) return;
      for (const [phase, ms] of Object.entries(env.timings)) {
        this.#phaseDuration.observe({ phase, runtime: env.runtime, outcome: status }, ms / 1000);
      }
    });
    return () => {
      unsubscribe();
      this.registry.removeSingleMetric(name);
    };
  }
}
