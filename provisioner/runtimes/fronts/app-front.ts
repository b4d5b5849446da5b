/**
 * An app's front: a small forwarding process on a loopback port that outlives every instance of
 * the app (and previewd itself), so the address the app is known by — its `directUrl`, and on
 * the process runtime its `internalUrl` in other apps' env — stays the same across redeploys. A
 * zero-downtime update starts the new instance beside the old one and points the front at it
 * once it is healthy. A separate process, not a listener inside previewd: apps keep reaching
 * each other while previewd restarts. It runs as previewd's own user (apps cannot signal it or
 * rewrite its target), labelled `front` like every process previewd starts (process-labels.ts),
 * so destroy and reconcile find it without a record.
 */
import { writeFileAtomic } from "../../atomic-file.ts";
import { mkdir, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ProvisionError } from "../../errors.ts";
import { isPort } from "../handle-fields.ts";
import { childEnvironment } from "../process/process-labels.ts";
import { waitPortFree } from "../process/port-allocator.ts";
import { spawnDetached, stopGroups } from "../process/process-group.ts";
import { readLabels, readStat, scanProcesses } from "../process/process-scan.ts";
import { frontProgram } from "./front-program.ts";

/** A front as the deployment records it, in the app's handle (`handle.front`). */
export interface Front {
  pid: number;
  port: number;
}

/** Which app of which environment a front serves, and where its target file lives. */
export interface FrontPlace {
  owner: string;
  envId: string;
  /** The environment's data dir: the target file is `fronts/<app>.port` below it. */
  dataDir: string;
  app: string;
}

const startTimeoutMs = 10_000;

export function frontOf(handle: Record<string, unknown> | undefined): Front | undefined {
  const front = handle?.front as Record<string, unknown> | undefined;
  if (!front || !Number.isInteger(front.pid) || (front.pid as number) <= 1 || !isPort(front.port))
    return undefined;
  return { pid: front.pid as number, port: front.port };
}

export function frontUrl(front: Front): string {
  return `http://127.0.0.1:${front.port}`;
}

function frontFile(place: FrontPlace, extension: string): string {
  return join(place.dataDir, "fronts", `${place.app}.${extension}`);
}

/** Points the front at `target` (a loopback port): every connection it accepts from now on goes there. */
export async function pointFront(place: FrontPlace, target: number): Promise<void> {
  const file = frontFile(place, "port");
  await mkdir(join(place.dataDir, "fronts"), { recursive: true });
  try {
    // Replaced whole: a front reads either the old port or the new one.
    await writeFileAtomic(file, `${target}\n`);
  } catch (error) {
    throw new ProvisionError(
      `cannot point ${place.app}'s front at port ${target}: ${String(error)}`,
      "start",
      place.app,
      [],
      {
        cause: error,
      },
    );
  }
}

/** Whether `front` is still this environment's running front of the app (guards against pid reuse). */
export async function frontRunning(place: FrontPlace, front: Front | undefined): Promise<boolean> {
  if (!front) return false;
  const labels = await readLabels(front.pid);
  if (labels?.role !== "front" || labels.owner !== place.owner || labels.envId !== place.envId) return false;
  if (labels.name !== place.app) return false;
  const stat = await readStat(front.pid);
  return stat !== undefined && stat.state !== "Z";
}

/**
 * Starts the app's front on `port`, pointed at `target`; resolves once it listens. `spawned` is
 * called once its process is (not if it fails before).
 */
export async function startFront(
  place: FrontPlace,
  port: number,
  target: number,
  spawned?: () => void,
): Promise<Front> {
  await pointFront(place, target);
  // A front that just died, or the process that held the port before, may take a moment to let go.
  await waitPortFree(port, 3_000);
  const log = await open(frontFile(place, "log"), "w");
  const child = await spawnDetached({
    command: process.execPath,
    args: [
      "-e",
      frontProgram,
      String(port),
      frontFile(place, "port"),
      `previewd-front ${place.envId}/${place.app}`,
    ],
    cwd: "/",
    // Nothing of previewd's environment: only the labels.
    env: childEnvironment({}, { owner: place.owner, envId: place.envId, role: "front", name: place.app }, {}),
    stdout: log.fd,
    stderr: log.fd,
  }).finally(() => log.close());
  spawned?.();
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    const output = await readFile(frontFile(place, "log"), "utf8").catch(() => "");
    if (output.includes(`listening on ${port}`)) return { pid: child.pid, port };
    const exited = child.exitCode();
    if (exited !== undefined || Date.now() >= deadline) {
      await stopGroups([{ pgid: child.pid, role: "front" }], 1_000);
      // Read again: it may have said why, and exited, since the read above.
      const said = (await readFile(frontFile(place, "log"), "utf8").catch(() => "")).trim();
      const why =
        said ||
        (exited === undefined
          ? `it did not listen within ${startTimeoutMs} ms`
          : `it exited (${exited}) without saying why`);
      throw new ProvisionError(
        `${place.app}'s front on port ${port} did not start: ${why}`,
        "start",
        place.app,
      );
    }
    await sleep(10);
  }
}

/** The app's front, pointed at `target`: `front` if it still runs, else a new one on `port`. */
export async function keepFront(
  place: FrontPlace,
  front: Front | undefined,
  port: number,
  target: number,
): Promise<Front> {
  if (front && (await frontRunning(place, front))) {
    await pointFront(place, target);
    return front;
  }
  return startFront(place, port, target);
}

export async function stopFront(place: FrontPlace, front: Front | undefined): Promise<void> {
  if (front && (await frontRunning(place, front)))
    await stopGroups([{ pgid: front.pid, role: "front" }], 1_000);
}

/** Stops the fronts of this owner's environments that `gone` picks; resolves with their ids. */
export async function stopFronts(owner: string, gone: (envId: string) => boolean): Promise<string[]> {
  const fronts = (await scanProcesses({ owner })).filter((p) => p.role === "front" && gone(p.envId));
  await stopGroups(
    fronts.map((p) => ({ pgid: p.pgid, role: "front" })),
    1_000,
  );
  return [...new Set(fronts.map((p) => p.envId))];
}
