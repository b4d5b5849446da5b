/**
 * The environment's network, and removal of everything labelled with an environment (containers,
 * then networks, then volumes), which works with no deployment record and survives an engine
 * restart half-way (it waits for the engine to answer again).
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { ProvisionError, errorMessage } from "../../errors.ts";
import { dockerStatus, ignoreGone } from "./docker-engine.ts";
import { ENV_LABEL, OWNER_LABEL, labelFilter, labelsOf, networkName } from "./docker-labels.ts";

export interface EnvironmentNetwork {
  id: string;
  name: string;
  /** The host's address on this network (where the flags gateway listens). */
  gateway: string;
}

export async function ensureNetwork(
  docker: Docker,
  owner: string,
  envId: string,
): Promise<EnvironmentNetwork> {
  const name = networkName(envId);
  const existing = (await docker.listNetworks({ filters: { name: [name] } })).find((n) => n.Name === name);
  let id = existing?.Id;
  if (existing && (existing.Labels?.[OWNER_LABEL] !== owner || existing.Labels?.[ENV_LABEL] !== envId)) {
    throw new ProvisionError(
      `a Docker network named ${name} exists and is not this environment's`,
      "network",
    );
  }
  if (!id) {
    const created = await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      CheckDuplicate: true,
      Labels: labelsOf({ owner, envId, role: "network" }),
    });
    id = created.id;
  }
  const info = (await docker.getNetwork(id).inspect()) as { IPAM?: { Config?: { Gateway?: string }[] } };
  const gateway = info.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  if (!gateway) throw new ProvisionError(`the Docker network ${name} has no gateway address`, "network");
  return { id, name, gateway };
}

function engineGone(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return (
    code === "ECONNREFUSED" ||
    code === "ENOENT" ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    /socket hang up|connect ECONNREFUSED|ENOENT/.test(errorMessage(error))
  );
}

/** Retries `work` while the engine is not answering (a dockerd restart), up to `timeoutMs`. */
export async function whileEngineRestarts<T>(
  work: () => Promise<T>,
  timeoutMs = 90_000,
  onTrouble: () => void = () => {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!engineGone(error) || Date.now() >= deadline) throw error;
      onTrouble();
      await sleep(500);
    }
  }
}

/**
 * Just after an engine restart, dockerd answers before its stores are back: listing or removing
 * then fails with a 500 for a few seconds ("database not open", "failed to update store … no such
 * file or directory"). Asked again, it works.
 */
async function whileStoresReload<T>(
  work: () => Promise<T>,
  onTrouble: () => void,
  attempts = 20,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (dockerStatus(error) !== 500 || attempt >= attempts) throw error;
      onTrouble();
      await sleep(500);
    }
  }
}

/**
 * Removes every container, network and volume with our owner label and this environment's id,
 * then lists them again until none is left. An engine that is shutting down or starting up
 * answers with 500s, and may list nothing of what it still has on disk: after such answers the
 * lists are trusted only once the engine has answered cleanly for `settleMs`, so what it shows
 * again after a restart is removed too.
 */
export async function removeLabelled(
  docker: Docker,
  owner: string,
  envId: string,
  timeoutMs = 120_000,
  settleMs = 10_000,
): Promise<void> {
  const filters = labelFilter({ owner, envId });
  const deadline = Date.now() + timeoutMs;
  let troubledAt: number | undefined;
  const trouble = () => void (troubledAt = Date.now());
  const ask = <T>(work: () => Promise<T>) =>
    whileEngineRestarts(() => whileStoresReload(work, trouble), 90_000, trouble);
  for (;;) {
    await ask(() => removeAll(docker, filters));
    const left = await ask(() => listAll(docker, filters));
    const settled = troubledAt === undefined || Date.now() - troubledAt >= settleMs;
    if (left.length === 0 && settled) return;
    if (Date.now() >= deadline)
      throw new Error(
        `Docker objects of environment ${envId} stay after removal: ${left.join(", ") || "none listed, but the engine did not settle"}`,
      );
    await sleep(500);
  }
}

async function listAll(docker: Docker, filters: { label: string[] }): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const { Volumes } = await docker.listVolumes({ filters });
  return [
    ...containers.map((c) => `container ${c.Names?.[0] ?? c.Id}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

async function removeAll(docker: Docker, filters: { label: string[] }): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const containers = await docker.listContainers({ all: true, filters });
    if (containers.length === 0) break;
    await Promise.all(
      containers.map((c) => ignoreGone(docker.getContainer(c.Id).remove({ force: true, v: true }))),
    );
  }
  for (const network of await docker.listNetworks({ filters })) {
    await ignoreGone(docker.getNetwork(network.Id).remove());
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const volume of Volumes ?? []) await ignoreGone(docker.getVolume(volume.Name).remove({ force: true }));
}

/** Environment ids (with the oldest creation time of their objects) found under our owner label. */
export async function labelledEnvironments(docker: Docker, owner: string): Promise<Map<string, number>> {
  const filters = labelFilter({ owner });
  const found = new Map<string, number>();
  const note = (labels: Record<string, string> | undefined, createdMs: number) => {
    const envId = labels?.[ENV_LABEL];
    if (!envId) return;
    found.set(envId, Math.min(found.get(envId) ?? Infinity, createdMs));
  };
  for (const c of await docker.listContainers({ all: true, filters })) note(c.Labels, c.Created * 1000);
  for (const n of await docker.listNetworks({ filters })) note(n.Labels, Date.parse(n.Created ?? "") || 0);
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) {
    const created = (v as { CreatedAt?: string }).CreatedAt;
    note(v.Labels ?? undefined, Date.parse(created ?? "") || 0);
  }
  return found;
}
