/**
 * Finds processes by the labels in their environment (`/proc/<pid>/environ`). Linux only; the
 * environ file shows the environment a process was started with, which is where the labels live.
 */
import { readdir, readFile } from "node:fs/promises";
import { parseLabels, type ProcessLabels } from "./process-labels.ts";

export interface LabelledProcess extends ProcessLabels {
  pid: number;
  /** Process group id: what the runtime signals to stop a process and its children. */
  pgid: number;
}

interface ProcStat {
  pid: number;
  state: string;
  pgid: number;
  /** The session it belongs to: its own pid once it called setsid(). */
  session: number;
}

async function pids(): Promise<number[]> {
  const entries = await readdir("/proc");
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/** `pid (comm) state ppid pgrp …`; comm may hold spaces and parentheses, so parse after the last `)`. */
export async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid, state: fields[0] ?? "", pgid: Number(fields[2]), session: Number(fields[3]) };
  } catch {
    return undefined;
  }
}

/** The labels a live process was started with, or undefined (gone, a zombie, or not ours). */
export async function readLabels(pid: number): Promise<ProcessLabels | undefined> {
  let raw: string;
  try {
    raw = await readFile(`/proc/${pid}/environ`, "utf8");
  } catch {
    return undefined;
  }
  const variables: Record<string, string> = {};
  for (const entry of raw.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0 && entry.startsWith("PREVIEWD_")) variables[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return parseLabels(variables);
}

/** Every live labelled process that `keep` picks by its labels, except previewd itself. */
async function labelledProcesses(keep: (labels: ProcessLabels) => boolean): Promise<LabelledProcess[]> {
  const found: LabelledProcess[] = [];
  await Promise.all(
    (await pids()).map(async (pid) => {
      if (pid === process.pid) return;
      const labels = await readLabels(pid);
      if (!labels || !keep(labels)) return;
      const stat = await readStat(pid);
      if (!stat || stat.state === "Z") return;
      found.push({ ...labels, pid, pgid: stat.pgid });
    }),
  );
  return found.sort((a, b) => a.pid - b.pid);
}

/** Every live process labelled with `owner` (and `envId`, if given), except previewd itself. */
export function scanProcesses(filter: { owner: string; envId?: string }): Promise<LabelledProcess[]> {
  return labelledProcesses(
    (labels) =>
      labels.owner === filter.owner && (filter.envId === undefined || labels.envId === filter.envId),
  );
}

/** The owners of every live labelled process, previewd itself aside. */
export async function liveOwners(): Promise<Set<string>> {
  return new Set((await labelledProcesses(() => true)).map((found) => found.owner));
}

/** Is `pid` alive and labelled as this owner's process for `envId` (and `name`, if given)? Guards against pid reuse. */
export async function isOurs(pid: number, owner: string, envId: string, name?: string): Promise<boolean> {
  const labels = await readLabels(pid);
  if (!labels || labels.owner !== owner || labels.envId !== envId) return false;
  if (name !== undefined && labels.name !== name) return false;
  const stat = await readStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

/** Does the process group still have a member that is not a zombie? */
export async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // kill(2) succeeds for zombies too; a group of zombies waiting for their parent is done.
  const stats = await Promise.all((await pids()).map(readStat));
  return stats.some((s) => s !== undefined && s.pgid === pgid && s.state !== "Z");
}
