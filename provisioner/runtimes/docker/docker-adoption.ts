/**
 * A restarted previewd takes back a ready environment on the docker runtime: its network is this
 * previewd's, every container on record runs (or is known to have crashed: supervision starts it
 * again), the flags gateway listens again, logs resume where they stopped, and the apps' fronts
 * hold their ports (one that died while previewd was down comes back).
 */
import type Docker from "dockerode";
import type { Logger } from "../../logger.ts";
import type { Deployment, RuntimeEnvironment } from "../runtime.ts";
import { frontRunning, startFront } from "../fronts/app-front.ts";
import { appContainerHandle, serviceContainerHandle } from "./docker-handles.ts";
import { OWNER_LABEL, networkName } from "./docker-labels.ts";
import type { DockerEnvironment } from "./docker-steps.ts";

export interface AdoptionOptions {
  docker: Docker;
  owner: string;
  logger: Logger;
  env: RuntimeEnvironment;
  deployment: Deployment;
  /** Whether the container runs and carries this previewd's and this environment's labels. */
  running(containerId: string): Promise<boolean>;
  /** The network and the flags gateway on the port the containers' PREVIEW_FLAGS_URL names. */
  connect(): Promise<unknown>;
  state(): DockerEnvironment;
}

/** The adopted deployment, or undefined when it cannot be adopted (the caller then tears it down). */
export async function adoptContainers(o: AdoptionOptions): Promise<Deployment | undefined> {
  const { env, deployment } = o;
  try {
    const network = await o.docker.getNetwork(networkName(env.id)).inspect();
    if ((network as { Labels?: Record<string, string> }).Labels?.[OWNER_LABEL] !== o.owner) return undefined;
    const containers: [string, string][] = [];
    // A container already known to have crashed may be stopped: supervision starts it again.
    const alive = async (id: string, status: string) => status === "crashed" || (await o.running(id));
    for (const [name, service] of Object.entries(deployment.services)) {
      const handle = serviceContainerHandle(service);
      if (!handle || !(await alive(handle.containerId, service.status))) return undefined;
      containers.push([name, handle.containerId]);
    }
    for (const [app, deployed] of Object.entries(deployment.apps)) {
      const handle = appContainerHandle(deployed);
      if (!handle || !(await alive(handle.containerId, deployed.status))) return undefined;
      containers.push([app, handle.containerId]);
    }
    await o.connect();
    const state = o.state();
    await Promise.all(containers.map(([name, id]) => state.logs.follow(name, id, true)));
    const adopted = await reviveFronts(o, state);
    o.logger.info({ envId: env.id }, "adopted running containers");
    return adopted;
  } catch (error) {
    o.logger.warn({ envId: env.id, err: error }, "cannot adopt the environment's containers");
    return undefined;
  }
}

/** Holds the fronts' ports; a front that died while previewd was down comes back (or supervision retries). */
async function reviveFronts(o: AdoptionOptions, state: DockerEnvironment): Promise<Deployment> {
  const { env } = o;
  const revived = structuredClone(o.deployment);
  for (const [app, deployed] of Object.entries(revived.apps)) {
    const handle = appContainerHandle(deployed);
    if (!handle?.front) continue;
    state.ports.reserve(handle.front.port);
    const place = { owner: o.owner, envId: env.id, dataDir: env.dataDir, app };
    if (await frontRunning(place, handle.front)) continue;
    try {
      deployed.handle.front = await startFront(place, handle.front.port, handle.hostPort);
    } catch (error) {
      o.logger.warn({ envId: env.id, app, err: error }, "cannot start the app's front again");
    }
  }
  return revived;
}
