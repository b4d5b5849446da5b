/**
 * Keeps every ready environment under its runtime's supervision (Runtime.supervise) and writes
 * what the supervision reports into the record: each app's and service's status, the new handle
 * after a restart, and the environment's status — `degraded` while anything is down, `ready`
 * again once everything is back. Operations stop the watch before they start, so nothing previewd
 * stops or replaces on purpose (an update, a delete) is restarted behind their back.
 */
import type { EnvironmentEvent, EnvironmentStatus } from "../environments/environment-schema.ts";
import type { Logger } from "../logger.ts";
import type { LogStore } from "../logs/log-store.ts";
import type { Deployment, Runtime, RuntimeEnvironment, Supervision } from "../runtimes/runtime.ts";
import type { EnvironmentRecord } from "./environment-record.ts";

/** The few things of the orchestrator a supervision needs. */
export interface SupervisionHost {
  deps: { logs: LogStore; logger: Logger };
  runtime(name: EnvironmentRecord["runtime"]): Runtime;
  runtimeEnvironment(record: EnvironmentRecord): RuntimeEnvironment;
  emit(id: string, event: Omit<EnvironmentEvent, "ts">): void;
  setStatus(record: EnvironmentRecord, status: EnvironmentStatus): void;
  persist(): Promise<void>;
}

/** Statuses in which an environment runs what it should, and so is watched. */
const watched: readonly EnvironmentStatus[] = ["ready", "degraded"];

function everythingUp(deployment: Deployment): boolean {
  return (
    Object.values(deployment.apps).every((app) => app.status === "healthy") &&
    Object.values(deployment.services).every((service) => service.status === "running")
  );
}

export class EnvironmentSupervision {
  readonly #watches = new Map<string, Supervision>();

  constructor(private readonly host: SupervisionHost) {}

  /** Starts watching the environment if it is ready (or degraded) and its runtime supervises; else nothing. */
  watch(record: EnvironmentRecord): void {
    const deployment = record.deployment;
    if (this.#watches.has(record.id) || !deployment || !watched.includes(record.status)) return;
    const runtime = this.host.runtime(record.runtime);
    if (!runtime.supervise) return;
    const supervision = runtime.supervise(this.host.runtimeEnvironment(record), deployment, {
      logs: this.host.deps.logs,
      event: (event) => this.host.emit(record.id, event),
      appChanged: (app, deployed) =>
        this.#changed(record, supervision, (d) => {
          d.apps[app] = deployed;
        }),
      serviceChanged: (name, deployed) =>
        this.#changed(record, supervision, (d) => {
          d.services[name] = deployed;
        }),
    });
    this.#watches.set(record.id, supervision);
    this.#settle(record, deployment);
  }

  /** Stops watching; resolves once a restart under way has given up. */
  async stop(id: string): Promise<void> {
    const supervision = this.#watches.get(id);
    this.#watches.delete(id);
    await supervision?.stop();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#watches.keys()].map((id) => this.stop(id)));
  }

  #changed(record: EnvironmentRecord, from: Supervision, patch: (deployment: Deployment) => void): void {
    // A late report of a watch already stopped (an operation has the environment now) changes nothing.
    if (this.#watches.get(record.id) !== from || !record.deployment) return;
    patch(record.deployment);
    this.#settle(record, record.deployment);
    this.host
      .persist()
      .catch((error: unknown) =>
        this.host.deps.logger.warn({ env: record.id, err: error }, "cannot save a supervised change"),
      );
  }

  #settle(record: EnvironmentRecord, deployment: Deployment): void {
    const status = everythingUp(deployment) ? "ready" : "degraded";
    if (record.status === status || !watched.includes(record.status)) return;
    this.host.deps.logger.info({ env: record.id, from: record.status, to: status }, "environment status");
    this.host.setStatus(record, status);
  }
}
