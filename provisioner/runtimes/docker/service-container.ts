/**
 * A Redis or `command` service as a container on the environment's network (alias: the service
 * name), its port published on 127.0.0.1 for previewd (readiness, resets), labelled like every
 * object so destroy and reconcile find it; resolves once its readiness probe passes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import type { DeployedService } from "../runtime.ts";
import { waitReady, type ReadinessProbe } from "../service-readiness.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { containerName, labelsOf } from "./docker-labels.ts";
import type { ServiceContainerHandle } from "./docker-handles.ts";
import type { ContainerLimits } from "./resource-limits.ts";
import { exitCodeOf, loopbackBinding, startContainer } from "./run-container.ts";

export interface StartServiceContainerOptions {
  docker: Docker;
  owner: string;
  envId: string;
  name: string;
  image: string;
  network: string;
  containerPort: number;
  cmd?: string[];
  env?: string[];
  limits?: ContainerLimits;
  /** Decides whether the running container is the one wanted (its image, env, limits). */
  specHash: string;
  /** A `command` service's inputs (service-input-hash.ts), kept in its handle. */
  inputHash?: string;
  logs: ContainerLogs;
  /** The same service's last container: its host port is kept if still free (stable URLs). */
  previous?: ServiceContainerHandle;
  signal: AbortSignal;
  readyTimeoutMs: number;
  /** The deployed service for a container published on `handle.hostPort`. */
  deployed(handle: ServiceContainerHandle, status: DeployedService["status"]): DeployedService;
  /** Ready, seen from previewd (through the published port, or on the network). */
  probe(handle: ServiceContainerHandle): ReadinessProbe;
  /** Called once the container exists, so it can be checkpointed before the wait. */
  onCreated(service: DeployedService): Promise<void>;
}

export async function startServiceContainer(options: StartServiceContainerOptions): Promise<DeployedService> {
  const { docker, name, containerPort } = options;
  const create = (hostPort?: number) =>
    startContainer(
      docker,
      {
        name: containerName(options.envId, name),
        Image: options.image,
        ...(options.cmd && { Cmd: options.cmd }),
        ...(options.env && { Env: options.env }),
        Labels: labelsOf({
          owner: options.owner,
          envId: options.envId,
          role: "service",
          name,
          specHash: options.specHash,
        }),
        ExposedPorts: { [`${containerPort}/tcp`]: {} },
        HostConfig: {
          PortBindings: loopbackBinding(containerPort, hostPort),
          RestartPolicy: { Name: "no" },
          ...options.limits,
        },
        NetworkingConfig: { EndpointsConfig: { [options.network]: { Aliases: [name] } } },
      },
      containerPort,
    );
  const previousPort = options.previous?.hostPort;
  const started = await create(previousPort).catch((error: unknown) => {
    if (previousPort === undefined) throw error;
    return create();
  });
  const handle: ServiceContainerHandle = {
    containerId: started.id,
    hostPort: started.hostPort,
    image: options.image,
    ...(options.inputHash && { inputHash: options.inputHash }),
  };
  await options.onCreated(options.deployed(handle, "starting"));
  await options.logs.follow(name, started.id, false);
  await waitServiceContainer(options, handle);
  return options.deployed(handle, "running");
}

/** Waits for the probe through the published port; throws a ProvisionError with its last output. */
export async function waitServiceContainer(
  options: Pick<
    StartServiceContainerOptions,
    "docker" | "name" | "logs" | "probe" | "readyTimeoutMs" | "signal"
  >,
  handle: ServiceContainerHandle,
  step = "services",
): Promise<void> {
  let probes = 0;
  const problem = await waitReady({
    probe: options.probe(handle),
    // Asking the engine on every probe is wasteful; every fifth notices a crash soon enough.
    exitCode: () => (probes++ % 5 === 0 ? exitCodeOf(options.docker, handle.containerId) : undefined),
    timeoutMs: options.readyTimeoutMs,
    signal: options.signal,
  });
  if (problem === undefined) return;
  await sleep(200); // Let the last lines of output arrive.
  throw new ProvisionError(
    `service ${options.name} ${problem}`,
    step,
    options.name,
    options.logs.tail(options.name),
  );
}
