/**
 * The CPU share of a step (install, build, release) against everything else on the machine. An
 * environment is ready only once its steps are done, while what runs beside them (its services
 * and apps starting, other environments' apps, previewd) mostly has time to spare. On Linux each
 * session shares the cores as one (its autogroup), whatever the nice values of its processes, and
 * every process group previewd spawns detached is a session of its own: the autogroup's nice value
 * (`/proc/<pid>/autogroup`) is what weighs. A step's session gets `nice` there once it is spawned,
 * and its children share it. -10 weighs about nine times a session at 0, so an app, or previewd,
 * still gets a tenth of a core a step wants.
 *
 * Below 0 needs root (CAP_SYS_NICE). Without root, or without autogroups (a kernel without them,
 * or processes in a cpu cgroup of their own, whose weight counts instead), nothing changes and
 * nothing fails.
 */
import { writeFile } from "node:fs/promises";

export const defaultStepPriority = -10;

export async function prioritizeSession(pid: number, nice: number): Promise<void> {
  if (nice === 0 || (nice < 0 && process.getuid?.() !== 0)) return;
  // The process may be gone already, or the kernel have no autogroups: the step runs as it is.
  await writeFile(`/proc/${pid}/autogroup`, `${nice}\n`).catch(() => undefined);
}
