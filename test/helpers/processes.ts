import { readdirSync, readFileSync } from "node:fs";
import net from "node:net";

export interface LiveProcess {
  pid: number;
  /** `KEY=value` entries of its environment. */
  environ: string[];
  /** The fields of /proc/<pid>/stat after the command: state, ppid, pgrp, … */
  stat: string[];
}

/** Every live process (zombies hold nothing), read straight from /proc, independently of previewd's code. */
export function liveProcesses(): LiveProcess[] {
  const found: LiveProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") found.push({ pid: Number(entry), environ, stat: fields });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/**
 * Pids of live processes whose environment carries `PREVIEWD_ENV_ID=<id>`, or the
 * `PREVIEWD_OWNER` label of a data dir.
 */
export function labelledProcesses(envId: string): number[];
export function labelledProcesses(selector: { owner: string }): number[];
export function labelledProcesses(selector: string | { owner: string }): number[] {
  const label =
    typeof selector === "string" ? `PREVIEWD_ENV_ID=${selector}` : `PREVIEWD_OWNER=${selector.owner}`;
  return liveProcesses()
    .filter((p) => p.environ.includes(label))
    .map((p) => p.pid);
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function isPortOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** The owner label previewd gives the processes of one data dir. */
export { ownerIdOf } from "../../provisioner/owner-id.ts";
