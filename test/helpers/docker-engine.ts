/**
 * Docker for end-to-end suites: whether an engine answers (suites skip without one, unless
 * PREVIEWD_REQUIRE_ALL=1), a client, and queries by previewd's labels.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { ENV_LABEL, OWNER_LABEL } from "../../provisioner/runtimes/docker/docker-labels.ts";
import { alive } from "./processes.ts";

export const docker = new Docker({
  socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, "") ?? "/var/run/docker.sock",
});

/** An engine answers; one that is restarting (another suite restarts dockerd) gets a minute to come back. */
function engineAnswers(): boolean {
  const socket = process.env.DOCKER_HOST?.replace(/^unix:\/\//, "") ?? "/var/run/docker.sock";
  const deadline = Date.now() + (existsSync(socket) ? 60_000 : 0);
  for (;;) {
    try {
      execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
        stdio: "ignore",
        timeout: 10_000,
      });
      return true;
    } catch {
      if (Date.now() > deadline) return false;
      execFileSync("sleep", ["1"]);
    }
  }
}

export const hasDocker = engineAnswers();

/** `describe.skipIf(skipDocker)`: skip without an engine, unless every suite is required to run. */
export const skipDocker = !hasDocker && process.env.PREVIEWD_REQUIRE_ALL !== "1";

export interface LabelledObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
}

/** Every container (running or not), network and volume with this owner (and environment) label. */
export async function labelledObjects(owner: string, envId?: string): Promise<LabelledObjects> {
  const label = [`${OWNER_LABEL}=${owner}`, ...(envId ? [`${ENV_LABEL}=${envId}`] : [])];
  const filters = { label };
  const containers = (await docker.listContainers({ all: true, filters })).map((c) => c.Names[0] ?? c.Id);
  const networks = (await docker.listNetworks({ filters })).map((n) => n.Name);
  const volumes = ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name);
  return { containers, networks, volumes };
}

/** Removes everything with this owner label: the last line of a suite's cleanup. */
export async function removeOwned(owner: string): Promise<void> {
  const filters = { label: [`${OWNER_LABEL}=${owner}`] };
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove({ force: true })
      .catch(() => undefined);
}

/** Runs `command` in a throwaway container of `image` attached to `network`; resolves with its output and exit code. */
export async function runIn(
  image: string,
  network: string,
  command: string,
): Promise<{ exitCode: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["sh", "-c", command],
    HostConfig: { NetworkMode: network },
    Labels: { "dev.previewd.test-probe": "true" },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true });
    // Non-TTY logs are multiplexed: drop the 8-byte frame headers.
    let output = "";
    for (let i = 0; i + 8 <= logs.length;) {
      const size = logs.readUInt32BE(i + 4);
      output += logs.subarray(i + 8, i + 8 + size).toString("utf8");
      i += 8 + size;
    }
    return { exitCode: StatusCode, output };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/**
 * Docker suites run in parallel workers; restarting dockerd must wait until it is alone. Each suite
 * leaves a marker (named by its pid) while it runs; `aloneOnDocker` raises a gate that keeps new
 * suites from starting, waits for the other live markers to go, runs, and lowers the gate.
 */
const suitesDir = path.join(os.tmpdir(), "previewd-docker-suites");
const gate = path.join(suitesDir, "exclusive");

async function othersRunning(): Promise<boolean> {
  const markers = await readdir(suitesDir).catch(() => [] as string[]);
  return markers.some((m) => {
    const pid = Number(m.split("-")[0]);
    return Number.isInteger(pid) && pid !== process.pid && alive(pid);
  });
}

async function gateRaisedByOther(): Promise<boolean> {
  const owner = Number(await readFile(gate, "utf8").catch(() => ""));
  return Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner);
}

/** Call in beforeAll; returns the function to call in afterAll. */
export async function joinDockerSuites(): Promise<() => Promise<void>> {
  await mkdir(suitesDir, { recursive: true });
  while (await gateRaisedByOther()) await sleep(500);
  const marker = path.join(suitesDir, `${process.pid}-${randomUUID()}`);
  await writeFile(marker, "");
  return () => rm(marker, { force: true });
}

export async function aloneOnDocker<T>(work: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  await mkdir(suitesDir, { recursive: true });
  while (await gateRaisedByOther()) await sleep(500);
  await writeFile(gate, String(process.pid));
  try {
    const deadline = Date.now() + timeoutMs;
    while ((await othersRunning()) && Date.now() < deadline) await sleep(500);
    return await work();
  } finally {
    await rm(gate, { force: true });
  }
}
