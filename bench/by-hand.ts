/**
 * The physical floor a benchmark row compares previewd with: what a developer does by hand in a
 * checkout that is already installed and built — run an app's `build` in its folder, then its
 * `start` until its health path answers — timed in the same run as previewd.
 */
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
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
}

/** Copies an environment's worktree (install and builds included) to `to`, as a developer's checkout. */
export async function copyCheckout(from: string, to: string): Promise<void> {
  await run("cp", ["-a", "--reflink=auto", "--", from, to]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Runs the app's build, then starts it and waits until its health path answers 2xx/3xx; stops it. */
export async function buildAndStart(app: ByHandApp): Promise<ByHandTimes> {
  const cwd = join(app.root, app.path);
  const began = performance.now();
  await run("sh", ["-c", app.build], { cwd, maxBuffer: 64 * 1024 * 1024 });
  const built = performance.now();
  const port = await freePort();
  const child = spawn("sh", ["-c", `exec ${app.start}`], {
    cwd,
    env: { ...process.env, ...app.env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: "ignore",
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${app.start} exited with code ${child.exitCode}`);
      const status = await fetch(`http://127.0.0.1:${port}${app.health}`).then(
        (reply) => reply.status,
        () => 0,
      );
      if (status >= 200 && status < 400) break;
      await sleep(10);
    }
    return { build: built - began, start: performance.now() - built };
  } finally {
    child.kill("SIGKILL");
  }
}
