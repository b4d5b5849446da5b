/**
 * The physical floor a benchmark row compares previewd with: what a developer does by hand in a
 * checkout that is already installed and built — run an app's `build` in its folder, then its
 * `start` until its health path answers — timed in the same run as previewd.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ByHandApp {
  /** The monorepo root (a copy of an environment's worktree, installed and built). */
  root: string;
  path: string;
  build: string;
  start: string;
  health: string;
  env?: Record<string, string>;
}

export interface ByHandTimes {
  build: number;
  start: number;
  /** CPU (user + system) of the processes it ran, in ms. */
  cpu: number;
}

/** An app started by hand and healthy; `stop` kills it and resolves once it exited. */
export interface RunningApp {
  port: number;
  stop(): Promise<void>;
}

/** Copies an environment's worktree (install and builds included) to `to`, as a developer's checkout. */
export async function copyCheckout(from: string, to: string): Promise<void> {
  await run("cp", ["-a", "--reflink=auto", "--", from, to]);
}

/**
 * CPU (user + system, ms) of this process's children that ended and were waited for, with their
 * own waited-for children (`cutime` + `cstime` of /proc/self/stat): read before and after a
 * by-hand run, the difference is what its processes used, as none of them outlives it.
 */
export function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of proc(5), counted from `state` (field 3); in clock ticks of 10 ms.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** Busy and total jiffies of all cores so far (/proc/stat's first line; iowait counts as idle). */
function cpuJiffies(): { busy: number; total: number } {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, n) => sum + n, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Waits until the machine is quiet: less than a quarter of one core busy over 250 ms, for at most
 * `maxMs`; resolves with how long it waited. Between measured steps, so that what one leaves
 * running in the background (previewd's spare copies at the lowest priority, Postgres cloning
 * its spare databases, the kernel writing back) falls on none of the steps that follow.
 */
export async function waitForQuiet(maxMs = 10_000): Promise<number> {
  const began = performance.now();
  const cores = os.availableParallelism();
  for (;;) {
    const from = cpuJiffies();
    await sleep(250);
    const to = cpuJiffies();
    const busyCores = ((to.busy - from.busy) / Math.max(1, to.total - from.total)) * cores;
    const waited = performance.now() - began;
    if (busyCores < 0.25 || waited >= maxMs) return waited;
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Runs the app's `build` in its folder. */
export async function buildApp(app: ByHandApp): Promise<void> {
  await run("sh", ["-c", app.build], { cwd: join(app.root, app.path), maxBuffer: 64 * 1024 * 1024 });
}

/**
 * Starts the app on `port` and waits until its health path answers 2xx/3xx (at most `timeoutMs`);
 * on any failure the process is stopped before this throws.
 */
export async function startUntilHealthy(
  app: ByHandApp,
  port: number,
  timeoutMs = 120_000,
): Promise<RunningApp> {
  const child = spawn("sh", ["-c", `exec ${app.start}`], {
    cwd: join(app.root, app.path),
    env: { ...process.env, ...app.env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: "ignore",
  });
  const exited = once(child, "exit").catch(() => undefined);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  try {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${app.start} exited with code ${child.exitCode}`);
      if (performance.now() > deadline) throw new Error(`${app.path} not healthy in ${timeoutMs} ms`);
      const status = await fetch(`http://127.0.0.1:${port}${app.health}`).then(
        (reply) => reply.status,
        () => 0,
      );
      if (status >= 200 && status < 400) return { port, stop };
      await sleep(10);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Runs the app's build, then starts it and waits until its health path answers 2xx/3xx; stops it. */
export async function buildAndStart(app: ByHandApp): Promise<ByHandTimes> {
  const cpu = childrenCpuMs();
  const began = performance.now();
  await buildApp(app);
  const built = performance.now();
  const running = await startUntilHealthy(app, await freePort());
  const start = performance.now() - built;
  await running.stop();
  return { build: built - began, start, cpu: childrenCpuMs() - cpu };
}
