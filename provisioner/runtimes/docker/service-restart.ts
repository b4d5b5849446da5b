/**
 * Starting a service's container again (its volume and writable layer kept, so Postgres and Redis
 * keep their data; a `command` service's process starts afresh): supervision does it after a
 * crash, a scenario load does it to `command` services. The engine may publish it on another
 * loopback port, which the returned service records; inside the network its address stays.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import type { DeployedService, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { redisAnswers } from "../service-readiness.ts";
import { commandDeployed, commandProbe } from "./command-container.ts";
import type { ContainerLogs } from "./container-logs.ts";
import {
  postgresContainerHandle,
  serviceContainerHandle,
  type ServiceContainerHandle,
} from "./docker-handles.ts";
import { networkName } from "./docker-labels.ts";
import { deployedService, ensureDatabase } from "./postgres-container.ts";
import { redisDeployed, redisPort } from "./redis-container.ts";
import { restartContainer } from "./run-container.ts";
import { ignoreGone } from "./docker-engine.ts";
import { dockerBlock } from "./service-image.ts";
import { waitServiceContainer } from "./service-container.ts";

export interface RestartServiceContainerOptions {
  docker: Docker;
  env: RuntimeEnvironment;
  name: string;
  current: DeployedService | undefined;
  logs: ContainerLogs;
  signal: AbortSignal;
  readyTimeoutMs: number;
  /** The step a failure names (`supervise`, `services`). */
  step: string;
  /** The service is back in its container, not yet ready (its new port is on record from here). */
  onRestarted?(service: DeployedService): void;
}

async function postgresReady(o: RestartServiceContainerOptions, service: DeployedService): Promise<void> {
  const handle = postgresContainerHandle(service);
  if (!handle) throw new ProvisionError(`${o.name} has no container record`, o.step, o.name);
  const deadline = Date.now() + o.readyTimeoutMs;
  for (;;) {
    const problem = await ensureDatabase(handle.hostPort, handle.password, handle.database);
    if (problem === undefined) return;
    if (o.signal.aborted || Date.now() >= deadline)
      throw new ProvisionError(
        `postgres for ${o.name} did not accept connections: ${problem}`,
        o.step,
        o.name,
      );
    await sleep(200);
  }
}

/** The service as deployed on `hostPort`, with the status given. */
function deployedOn(o: RestartServiceContainerOptions, hostPort: number): DeployedService {
  const { env, name, current } = o;
  const spec = env.manifest.services[name];
  const handle = serviceContainerHandle(current);
  const postgres = postgresContainerHandle(current);
  if (handle && spec?.type === "command")
    return commandDeployed({ ...handle, hostPort }, name, dockerBlock(name, spec).docker.port, "starting");
  if (handle && spec?.type === "redis") return redisDeployed({ ...handle, hostPort }, name, "starting");
  if (postgres && spec?.type === "postgres")
    return deployedService({ ...postgres, hostPort }, name, "starting");
  throw new ProvisionError(`${name} has no container record`, o.step, name);
}

export async function restartServiceContainer(o: RestartServiceContainerOptions): Promise<DeployedService> {
  const { docker, env, name } = o;
  const spec = env.manifest.services[name];
  const handle = serviceContainerHandle(o.current);
  if (!spec || !handle) throw new ProvisionError(`${name} has no container record`, o.step, name);
  deployedOn(o, handle.hostPort); // Refuses a record it could not make sense of, before any restart.
  const block = spec.type === "command" ? dockerBlock(name, spec) : undefined;
  const containerPort = block?.docker.port ?? (spec.type === "redis" ? redisPort : 5432);
  const hostPort = await restartContainer(docker, handle.containerId, containerPort);
  const starting = deployedOn(o, hostPort);
  o.onRestarted?.(starting);
  await o.logs.follow(name, handle.containerId, true);
  if (spec.type === "postgres") await postgresReady(o, starting);
  else {
    const probe = block
      ? commandProbe(docker, networkName(env.id), block)
      : (h: ServiceContainerHandle) => redisAnswers(h.hostPort);
    const wait = { docker, name, logs: o.logs, probe, readyTimeoutMs: o.readyTimeoutMs, signal: o.signal };
    await waitServiceContainer(wait, { ...handle, hostPort }, o.step);
  }
  return { ...starting, status: "running" };
}

/**
 * On an update, a Postgres service whose container stopped: if it holds its data in its own layer
 * (no volume) and still exists, that container starts again, data and all, rather than a new one
 * from the image. Undefined when that is not the case (the caller creates a new container).
 */
export async function startPostgresAgain(
  o: Omit<RestartServiceContainerOptions, "signal" | "step"> & { ctx: RuntimeContext },
): Promise<DeployedService | undefined> {
  const { docker, ctx, name } = o;
  const handle = postgresContainerHandle(o.current);
  if (!handle || handle.volume) return undefined;
  if (!(await ignoreGone(docker.getContainer(handle.containerId).inspect()))) return undefined;
  ctx.event({
    step: "services",
    app: name,
    status: "started",
    message: "its container again, with its data",
  });
  const service = await restartServiceContainer({ ...o, signal: ctx.signal, step: "services" });
  ctx.event({ step: "services", app: name, status: "succeeded", message: `running (${handle.image})` });
  return service;
}
