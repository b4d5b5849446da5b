/**
 * The RuntimeContext of runtime work an operation does on a running environment besides
 * provisioning (restarting apps for a fresh snapshot, a `command` service for a scenario load):
 * its events are the environment's, its checkpoints go into the record, and no timings are kept.
 */
import type { EnvironmentEvent } from "../environments/environment-schema.ts";
import type { LogStore } from "../logs/log-store.ts";
import type { RuntimeContext } from "../runtimes/runtime.ts";
import type { EnvironmentRecord } from "./environment-record.ts";

/** The few things of the orchestrator it needs. */
export interface OperationHost {
  deps: { logs: LogStore };
  emit(id: string, event: Omit<EnvironmentEvent, "ts">): void;
  persist(): Promise<void>;
}

export function operationContext(
  record: EnvironmentRecord,
  host: OperationHost,
  signal: AbortSignal,
): RuntimeContext {
  return {
    signal,
    logs: host.deps.logs,
    event: (event) => host.emit(record.id, event),
    phase: (_name, work) => work(),
    async checkpoint(deployment) {
      record.deployment = deployment;
      await host.persist();
    },
  };
}
