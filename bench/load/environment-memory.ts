/**
 * What an environment's processes cost in memory: the proportional set size (PSS, shared pages
 * divided among the processes sharing them) of every process labelled with its id, from
 * /proc/<pid>/smaps_rollup, by role (app, front, service…).
 */
import { readFile } from "node:fs/promises";
import { scanProcesses } from "../../provisioner/runtimes/process/process-scan.ts";

export async function pssKiB(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, "utf8").catch(() => "");
  return Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
}

/** PSS in MiB per environment id, and per role summed over them all. */
export async function environmentMemory(
  owner: string,
): Promise<{ perEnvironment: Map<string, number>; perRole: Map<string, number> }> {
  const perEnvironment = new Map<string, number>();
  const perRole = new Map<string, number>();
  for (const process of await scanProcesses({ owner })) {
    const mib = (await pssKiB(process.pid)) / 1024;
    perEnvironment.set(process.envId, (perEnvironment.get(process.envId) ?? 0) + mib);
    perRole.set(process.role, (perRole.get(process.role) ?? 0) + mib);
  }
  return { perEnvironment, perRole };
}
