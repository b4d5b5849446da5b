/**
 * Starting a service again on its port: what is left of it stops, then it starts as it did at
 * first (Postgres and Redis with their data). Supervision does it after a crash; a scenario load
 * does it to a `command` service, whose state lives in its process.
 */
import { ProvisionError } from "../../errors.ts";
import type { DeployedService, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { OutputCapture } from "./output-capture.ts";
import { waitPortFree } from "./port-allocator.ts";
import { serviceHandle, serviceStopTarget } from "./process-handles.ts";
import { stopGroups } from "./process-group.ts";
import { startService } from "./start-service.ts";

export interface RestartServiceOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  name: string;
  owner: string;
  previous: DeployedService | undefined;
  output: OutputCapture;
  readyTimeoutMs: number;
  stopGraceMs: number;
  templatesDir?: string;
  /** The step a failure names (`supervise`, `seed`). */
  step: string;
}

export async function restartServiceProcess(options: RestartServiceOptions): Promise<DeployedService> {
  const { name, previous, step } = options;
  const handle = serviceHandle(previous);
  const target = serviceStopTarget(previous);
  if (!handle || !target) throw new ProvisionError(`${name} has no process record`, step, name);
  // Postgres' backends outlive a killed postmaster for a moment; the cluster is free once they are gone.
  await stopGroups([target], options.stopGraceMs);
  if (!(await waitPortFree(handle.port, 3_000)))
    throw new ProvisionError(`port ${handle.port} of ${name} is still taken`, step, name);
  const started = await startService({ ...options, port: handle.port });
  if (!started) throw new ProvisionError(`${name} is no longer in the manifest`, step, name);
  return started;
}
