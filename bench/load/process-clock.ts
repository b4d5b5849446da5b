/**
 * What a process spent, read from /proc, to tell its own work from the machine's noise: CPU time
 * of all its threads (`stat`: utime + stime) and how long its main thread (the event loop) was
 * ready to run but waited for a core (`schedstat`'s run-queue wait). On a busy machine the second
 * is what slows answers down without any code of the process being at fault.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessClock {
  /** CPU milliseconds of every thread of the process. */
  cpuMs: number;
  /** Milliseconds the main thread spent runnable, waiting for a CPU. */
  waitMs: number;
  /** When this was read (performance.now()). */
  at: number;
}

/** `/proc/<pid>/stat` counts in clock ticks; Linux reports them at 100 per second. */
const TICK_MS = 10;

export function readProcessClock(pid: number): ProcessClock {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at state: utime and stime are 12 and 13.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  const [, waitNs] = readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(" ");
  return { cpuMs, waitMs: Number(waitNs) / 1e6, at: performance.now() };
}

export interface ClockSpan {
  cpuMs: number;
  /** Share of the wall time the main thread waited for a CPU, 0 to 1. */
  waitShare: number;
  wallMs: number;
}

export function clockSince(pid: number, before: ProcessClock): ClockSpan {
  const now = readProcessClock(pid);
  const wallMs = now.at - before.at;
  return {
    cpuMs: now.cpuMs - before.cpuMs,
    waitShare: wallMs > 0 ? (now.waitMs - before.waitMs) / wallMs : 0,
    wallMs,
  };
}

/**
 * CPU milliseconds of every process in a process group (an app started through a shell or a
 * package manager leads a group; the server doing the work is a child of the leader).
 */
export function readGroupCpuMs(pgid: number): number {
  let cpuMs = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while listed
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid) cpuMs += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  }
  return cpuMs;
}
