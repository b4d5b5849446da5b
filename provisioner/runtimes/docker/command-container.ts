/**
 * A `command` service as a container of the image its `docker` block names or builds
 * (service-image.ts), with HOST=0.0.0.0, PORT and its env (serviceEnvironment). Apps reach it as
 * `http://<service>:<port>`. Ready when its health path answers 2xx/3xx through the published
 * port, or without one when it accepts TCP connections on the environment's network: the
 * published port is Docker's proxy, which accepts connections before anything listens behind it.
 */
import { createHash } from "node:crypto";
import type Docker from "dockerode";
import { ManifestError } from "../../errors.ts";
import { serviceEnvironment } from "../../manifest/interpolate.ts";
import type { DeployedService, RuntimeEnvironment } from "../runtime.ts";
import { acceptsTcp, type ReadinessProbe } from "../service-readiness.ts";
import { checkHealth } from "../health-check.ts";
import type { ContainerLogs } from "./container-logs.ts";
import type { ServiceContainerHandle } from "./docker-handles.ts";
import { containerLimits, type ContainerLimits } from "./resource-limits.ts";
import { serviceAsApp, type DockerCommandService } from "./service-image.ts";
import { startServiceContainer } from "./service-container.ts";

export function commandDeployed(
  handle: ServiceContainerHandle,
  name: string,
  port: number,
  status: DeployedService["status"],
): DeployedService {
  return {
    type: "command",
    status,
    url: `http://127.0.0.1:${handle.hostPort}`,
    internalUrl: `http://${name}:${port}`,
    handle: { ...handle },
  };
}

function limitsOf(name: string, spec: DockerCommandService): ContainerLimits {
  try {
    return containerLimits(name, serviceAsApp(spec));
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    const errors = (error.errors ?? []).map((e) => ({ ...e, path: e.path.replace(/^apps\./, "services.") }));
    throw new ManifestError(error.file, errors, { cause: error });
  }
}

/** Its health path through the published port, else a TCP connection to it on the network. */
export function commandProbe(docker: Docker, network: string, spec: DockerCommandService) {
  return (handle: ServiceContainerHandle): ReadinessProbe => {
    if (spec.health !== undefined) {
      const health = spec.health;
      return (signal) => checkHealth(handle.hostPort, health, signal);
    }
    let address: string | undefined;
    return async (signal) => {
      address ??= (await docker.getContainer(handle.containerId).inspect()).NetworkSettings.Networks[network]
        ?.IPAddress;
      return address ? acceptsTcp(spec.docker.port, address)(signal) : "it has no address on the network yet";
    };
  };
}

export interface StartCommandContainerOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  name: string;
  spec: DockerCommandService;
  image: string;
  network: string;
  logs: ContainerLogs;
  previous?: ServiceContainerHandle;
  /** Its inputs (service-input-hash.ts): a redeploy restarts it when they change. */
  inputHash?: string;
  signal: AbortSignal;
  readyTimeoutMs: number;
  onCreated(service: DeployedService): Promise<void>;
}

export async function startCommandContainer(options: StartCommandContainerOptions): Promise<DeployedService> {
  const { env, name, spec } = options;
  const port = spec.docker.port;
  const variables = serviceEnvironment(env.manifest, name, {
    env: { id: env.id, ref: env.ref, commit: env.commit },
    apps: Object.fromEntries(Object.entries(env.appUrls).map(([app, url]) => [app, { url }])),
    port,
    // Docker forwards the published port to the container's own interface, never to its loopback.
    host: "0.0.0.0",
  });
  const list = Object.entries(variables)
    .map(([key, value]) => `${key}=${value}`)
    .sort();
  const limits = limitsOf(name, spec);
  const specHash = createHash("sha256")
    .update(
      JSON.stringify({
        image: options.image,
        env: list.filter((e) => !e.startsWith("PREVIEW_COMMIT=")),
        limits,
      }),
    )
    .digest("hex");
  return startServiceContainer({
    docker: options.docker,
    owner: options.owner,
    envId: env.id,
    name,
    image: options.image,
    network: options.network,
    containerPort: port,
    env: list,
    limits,
    specHash,
    logs: options.logs,
    ...(options.previous && { previous: options.previous }),
    ...(options.inputHash && { inputHash: options.inputHash }),
    signal: options.signal,
    readyTimeoutMs: options.readyTimeoutMs,
    deployed: (handle, status) => commandDeployed(handle, name, port, status),
    probe: commandProbe(options.docker, options.network, spec),
    onCreated: options.onCreated,
  });
}
