/**
 * Spawning detached process groups and stopping them: a polite signal, a grace period, then SIGKILL
 * for the whole group, so grandchildren (`sh -c "npm start"` → node) go too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { groupAlive, readStat } from "./process-scan.ts";

export interface DetachedSpawnOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** A file descriptor (the process outlives previewd) or "pipe" (previewd reads it). */
  stdout: number | "pipe";
  stderr: number | "pipe";
  uid?: number;
  gid?: number;
}

export interface DetachedProcess {
  child: ChildProcess;
  pid: number;
  /** Resolves with the exit code (-1 when killed by a signal) once the process exits. */
  exited: Promise<number>;
  /** The exit code once exited, else undefined. */
  exitCode(): number | undefined;
}

/**
 * Starts a process in its own process group. With file descriptors (not pipes) as stdout/stderr
 * it keeps running, and keeps logging, if previewd dies.
 */
export function spawnDetached(options: DetachedSpawnOptions): Promise<DetachedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", options.stdout, options.stderr],
      detached: true,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    child.unref();
    let code: number | undefined;
    const exited = new Promise<number>((done) => {
      child.once("exit", (c, signal) => {
        code = c ?? (signal ? -1 : 0);
        done(code);
      });
    });
    child.once("error", reject);
    child.once("spawn", () => {
      child.off("error", reject);
      // A later error (e.g. a failed kill) must not crash previewd.
      child.on("error", () => undefined);
      resolve({ child, pid: child.pid as number, exited, exitCode: () => code });
    });
  });
}

export interface GroupToStop {
  pgid: number;
  /**
   * A `service` (Postgres' postmaster, redis-server) gets SIGINT (fast shutdown) on its own pid;
   * everything else SIGTERM to its group.
   */
  role: string;
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Whether anything of the group still runs. Its leader running (not a zombie) answers with one
 * read; only once it is gone does the whole process table need a look (groupAlive).
 */
async function alive(pgid: number): Promise<boolean> {
  const leader = await readStat(pgid);
  if (leader && leader.pgid === pgid && leader.state !== "Z") return true;
  return groupAlive(pgid);
}

/**
 * Polls every 5 ms at first, growing by half to 50 ms: a server that handles SIGTERM is usually
 * gone within ~100 ms, and a redeploy is `ready` only once its replaced process is.
 */
async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let polls = 0; ; polls++) {
    if (!(await alive(pgid))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(50, Math.round(5 * 1.5 ** polls)));
  }
}

/** Stops every group: polite signal, `graceMs` to exit, then SIGKILL. Resolves once all are gone (or 5 s after SIGKILL). */
export async function stopGroups(groups: GroupToStop[], graceMs: number): Promise<void> {
  const unique = new Map(groups.map((g) => [g.pgid, g]));
  // Never signal previewd's own group, whatever a label says.
  const ownGroup = (await readStat(process.pid))?.pgid;
  await Promise.all(
    [...unique.values()].map(async ({ pgid, role }) => {
      if (pgid <= 1 || pgid === process.pid || pgid === ownGroup) return;
      if (role === "service") signal(pgid, "SIGINT");
      else signal(-pgid, "SIGTERM");
      if (await waitGone(pgid, graceMs)) return;
      signal(-pgid, "SIGKILL");
      await waitGone(pgid, 5_000);
    }),
  );
}
