/** A RuntimeContext for runtime tests that keeps the events it is given, logs in memory, no checkpoints. */
import type { EnvironmentEvent } from "../../provisioner/environments/environment-schema.ts";
import { MemoryLogStore } from "../../provisioner/logs/memory-log-store.ts";
import type { RuntimeContext } from "../../provisioner/runtimes/runtime.ts";

export function recordingContext(): { ctx: RuntimeContext; events: EnvironmentEvent[] } {
  const events: EnvironmentEvent[] = [];
  const ctx: RuntimeContext = {
    signal: new AbortController().signal,
    logs: new MemoryLogStore(),
    event: (event) => events.push({ ts: new Date().toISOString(), ...event }),
    phase: (_name, work) => work(),
    checkpoint: async () => undefined,
  };
  return { ctx, events };
}
