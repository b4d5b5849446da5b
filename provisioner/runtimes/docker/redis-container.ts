/**
 * A `redis` service as a container of its image (default `redis:7`), pulled if missing. Apps reach
 * it as `redis://<service>:6379`, previewd through the port published on 127.0.0.1. Its append-only
 * file stays in the container, so a restart after a crash keeps the data, as with Postgres.
 */
import type Docker from "dockerode";
import type { DeployedService } from "../runtime.ts";
import { redisAnswers } from "../service-readiness.ts";
import { pullImage } from "./app-image.ts";
import type { ContainerLogs } from "./container-logs.ts";
import type { ServiceContainerHandle } from "./docker-handles.ts";
import { imageExists } from "./rootfs-image.ts";
import { startServiceContainer } from "./service-container.ts";

export const defaultRedisImage = "redis:7";
export const redisPort = 6379;

// The official image turns protected mode off at build time; a redis-server built otherwise
// would refuse the apps' connections from other containers without it.
const command = [
  "redis-server",
  "--appendonly",
  "yes",
  "--appendfsync",
  "no",
  "--save",
  "",
  "--protected-mode",
  "no",
];

export function redisDeployed(
  handle: ServiceContainerHandle,
  name: string,
  status: DeployedService["status"],
): DeployedService {
  return {
    type: "redis",
    status,
    url: `redis://127.0.0.1:${handle.hostPort}`,
    internalUrl: `redis://${name}:${redisPort}`,
    handle: { ...handle },
  };
}

export interface StartRedisContainerOptions {
  docker: Docker;
  owner: string;
  envId: string;
  name: string;
  image: string | undefined;
  network: string;
  logs: ContainerLogs;
  previous?: ServiceContainerHandle;
  signal: AbortSignal;
  readyTimeoutMs: number;
  onCreated(service: DeployedService): Promise<void>;
}

export async function startRedisContainer(options: StartRedisContainerOptions): Promise<DeployedService> {
  const image = options.image ?? defaultRedisImage;
  if (!(await imageExists(options.docker, image)))
    await pullImage(options.docker, image, "services", options.name, options.signal);
  return startServiceContainer({
    ...options,
    image,
    containerPort: redisPort,
    cmd: command,
    specHash: image,
    deployed: (handle, status) => redisDeployed(handle, options.name, status),
    probe: (handle) => redisAnswers(handle.hostPort),
  });
}
