/** A RuntimeContext for runtime tests that keeps the events and checkpoints it is given. */
import type { EnvironmentEvent } from "../../provisioner/environments/environment-schema.ts";
import { MemoryLogStore } from "../../provisioner/logs/memory-log-store.ts";
import type { Deployment, RuntimeContext } from "../../provisioner/runtimes/runtime.ts";

export function recordingContext(logs = new MemoryLogStore()) {
  const events: EnvironmentEvent[] = [];
  const checkpoints: Deployment[] = [];
  const ctx: RuntimeContext = {
    signal: new AbortController().signal,
    logs,
    event: (event) => events.push({ ts: new Date().toISOString(), ...event }),
    phase: (_name, work) => work(),
    checkpoint: async (deployment) => void checkpoints.push(deployment),
  };
  return { ctx, events, checkpoints, logs };
}
