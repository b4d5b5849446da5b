/** Creating and starting one labelled container, and reading back the port it got on 127.0.0.1. */
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import { dockerStatus } from "./docker-engine.ts";
import { OWNER_LABEL } from "./docker-labels.ts";

export interface StartedContainer {
  id: string;
  hostPort: number;
}

/** Published on 127.0.0.1 only; an empty HostPort lets the engine pick a free port. */
export function loopbackBinding(
  containerPort: number,
  hostPort?: number,
): Record<string, { HostIp: string; HostPort: string }[]> {
  return { [`${containerPort}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: hostPort ? String(hostPort) : "" }] };
}

/** Creates a named container; one of ours left by an interrupted run under that name is replaced. */
export async function createOwnedContainer(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
): Promise<Docker.Container> {
  try {
    return await docker.createContainer(options);
  } catch (error) {
    if (dockerStatus(error) !== 409 || !options.name) throw error;
    // A container left by an interrupted run of ours: replace it. Anyone else's: refuse.
    const existing = docker.getContainer(options.name);
    const info = await existing.inspect();
    if (info.Config.Labels?.[OWNER_LABEL] !== options.Labels?.[OWNER_LABEL]) {
      throw new ProvisionError(`a container named ${options.name} exists and is not previewd's`, "start");
    }
    await existing.remove({ force: true, v: true });
    return docker.createContainer(options);
  }
}

export function publishedPort(info: Docker.ContainerInspectInfo, containerPort: number): number | undefined {
  const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.find((b) => b.HostIp === "127.0.0.1");
  const hostPort = Number(binding?.HostPort);
  return Number.isInteger(hostPort) && hostPort > 0 ? hostPort : undefined;
}

/**
 * Starts an existing container again (stopping it first if it still runs), keeping its volumes;
 * resolves with the port it got on 127.0.0.1, which the engine may have picked anew.
 */
export async function restartContainer(
  docker: Docker,
  id: string,
  containerPort: number,
  stopGraceS = 5,
): Promise<number> {
  const container = docker.getContainer(id);
  if ((await container.inspect()).State.Running) await container.stop({ t: stopGraceS });
  await container.start();
  const hostPort = publishedPort(await container.inspect(), containerPort);
  if (hostPort === undefined)
    throw new ProvisionError(`container ${id} has no port published for ${containerPort}`, "supervise");
  return hostPort;
}

export async function startContainer(
  docker: Docker,
  options: Docker.ContainerCreateOptions,
  containerPort: number,
): Promise<StartedContainer> {
  return startCreatedContainer(await createOwnedContainer(docker, options), containerPort);
}

/** Starts a container created earlier; resolves with the port it got on 127.0.0.1. */
export async function startCreatedContainer(
  container: Docker.Container,
  containerPort: number,
): Promise<StartedContainer> {
  await container.start();
  const info = await container.inspect();
  const hostPort = publishedPort(info, containerPort);
  if (hostPort === undefined) {
    throw new ProvisionError(
      `container ${info.Name.replace(/^\//, "")} has no port published for ${containerPort}`,
      "start",
    );
  }
  return { id: container.id, hostPort };
}

/** The container's exit code if it is not running, undefined while it runs. */
export async function exitCodeOf(docker: Docker, id: string): Promise<number | undefined> {
  const info = await docker.getContainer(id).inspect();
  return info.State.Running ? undefined : info.State.ExitCode;
}

/** True if the container exists, runs, and carries these labels. */
export async function isRunningWith(
  docker: Docker,
  id: string,
  labels: Record<string, string>,
): Promise<boolean> {
  try {
    const info = await docker.getContainer(id).inspect();
    return (
      info.State.Running &&
      Object.entries(labels).every(([key, value]) => info.Config.Labels?.[key] === value)
    );
  } catch {
    return false;
  }
}
