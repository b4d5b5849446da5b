/**
 * Running a command at the lowest CPU priority of the machine. On Linux each session shares the
 * cores as one (its autogroup), whatever the nice values of its processes: a child of previewd at
 * `nice -n 19` weighs only inside previewd's session, and that session as a whole weighs as much as
 * any other (an environment's build, say). So, as root, the command runs in a session of its own
 * (`setsid`) whose autogroup gets nice 19 (`/proc/<pid>/autogroup`), its children too.
 *
 * Only as root: any other user's autogroup writes are refused within 100 ms of the last one on the
 * machine (EAGAIN), so its commands run at `nice -n 19` inside previewd's session, as before. Where
 * the kernel does not group by session (`kernel.sched_autogroup_enabled=0`, a kernel without
 * autogroups, or processes in a cpu cgroup other than the root one, as in a container or a systemd
 * unit with a CPU weight, where the cgroup's weight counts instead), the write changes nothing and
 * nothing fails.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { readStat } from "./process-scan.ts";

const run = promisify(execFile);

export const lowestPriority = 19;

/**
 * Runs `command` (a file and its arguments) to its end at the lowest priority; resolves with its
 * stdout, rejects as execFile does.
 */
export async function runAtLowestPriority(
  command: string[],
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  const niced = ["nice", "-n", String(lowestPriority), ...command];
  // `setsid` execs in place: a child of previewd leads no process group, so it needs no fork.
  const root = process.getuid?.() === 0;
  const running = root ? run("setsid", niced, options) : run(niced[0]!, niced.slice(1), options);
  const [{ stdout }] = await Promise.all([running, root && lowerSession(running.child.pid)]);
  return stdout;
}

/**
 * Gives the session `pid` leads the lowest priority. Only once `pid` leads a session of its own:
 * before, the autogroup is its parent's, previewd's own (`setsid` calls setsid() after its exec).
 */
export async function lowerSession(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  for (let tries = 0; ; tries++) {
    const stat = await readStat(pid);
    if (!stat || stat.state === "Z" || tries === 50) return; // Gone, or never its own session.
    if (stat.session === pid) break;
    await sleep(2);
  }
  // The process may be gone since, or the kernel have no autogroups: it runs as it is. (Its pid
  // reused by another in the moment since the check is the one gap left: Node has no pidfd.)
  await writeFile(`/proc/${pid}/autogroup`, `${lowestPriority}\n`).catch(() => undefined);
}
