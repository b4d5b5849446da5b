/**
 * How much of the cores a process session gets against the rest of the machine. On Linux each
 * session shares the cores as one (its autogroup), whatever the nice values of its processes: a
 * child of previewd at `nice -n 19` weighs only inside previewd's session, and that session as a
 * whole weighs as much as any other (an environment's build, say). A process that leads a session
 * of its own gets its share from the autogroup's nice value (`/proc/<pid>/autogroup`), for its
 * children too. Copies made ahead for the next environment (spare-copies.ts) get 19: they wait
 * for everything.
 *
 * Only as root: below 0 needs CAP_SYS_NICE, and any other user's writes are refused within 100 ms
 * of the last one on the machine (EAGAIN). Elsewhere, and where the kernel does not group by
 * session (`kernel.sched_autogroup_enabled=0`, a kernel without autogroups, or processes in a cpu
 * cgroup other than the root one, as in a container or a systemd unit with a CPU weight, where the
 * cgroup's weight counts instead), nothing changes and nothing fails.
 */
import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { readStat } from "./process-scan.ts";

export const lowestPriority = 19;

export function canPrioritize(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Gives the session `pid` leads `nice`. Only once `pid` leads a session of its own: before, the
 * autogroup is its parent's, previewd's own (`setsid` the program calls setsid() after its exec).
 */
export async function prioritizeSession(pid: number | undefined, nice: number): Promise<void> {
  if (pid === undefined || nice === 0 || !canPrioritize()) return;
  for (let tries = 0; ; tries++) {
    const stat = await readStat(pid);
    if (!stat || stat.state === "Z" || tries === 50) return; // Gone, or never its own session.
    if (stat.session === pid) break;
    await sleep(2);
  }
  // The process may be gone since, or the kernel have no autogroups: it runs as it is. (Its pid
  // reused by another in the moment since the check is the one gap left: Node has no pidfd.)
  await writeFile(`/proc/${pid}/autogroup`, `${nice}\n`).catch(() => undefined);
}
