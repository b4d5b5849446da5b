/** Runs one row module in a child process (row-child.ts) and collects its figures or its failure. */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchFigure } from "../bench-table.ts";

export type RowMessage = { figures: BenchFigure[] } | { error: string };

export interface RowResult {
  name: string;
  startedAt: string;
  durationMs: number;
  figures: BenchFigure[];
  /** Set when the row threw, exited without answering or ran out of time. */
  error?: string;
}

const childScript = fileURLToPath(new URL("./row-child.ts", import.meta.url));

export function runRow(
  name: string,
  modulePath: string,
  quick: boolean,
  timeoutMs: number,
): Promise<RowResult> {
  const startedAt = new Date();
  const start = performance.now();
  return new Promise((resolve) => {
    let message: RowMessage | undefined;
    const child = fork(childScript, [modulePath, ...(quick ? ["--quick"] : [])], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      // A row stuck in teardown gets a moment to clean up, then no more.
      setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
    }, timeoutMs);
    child.on("message", (received) => {
      message = received as RowMessage;
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const base = { name, startedAt: startedAt.toISOString(), durationMs: performance.now() - start };
      if (timedOut)
        resolve({ ...base, figures: [], error: `ran longer than ${timeoutMs / 1000} s; stopped` });
      else if (message && "figures" in message) resolve({ ...base, figures: message.figures });
      else if (message) resolve({ ...base, figures: [], error: message.error });
      else resolve({ ...base, figures: [], error: `exited (${signal ?? `code ${code}`}) without figures` });
    });
  });
}
