/**
 * Runs one step command (install, build) to completion: a labelled, detached process group whose
 * output goes to the environment's log files like an app's. Aborting stops the whole group.
 */
import type { OutputCapture } from "./output-capture.ts";
import { childEnvironment, type ProcessLabels } from "./process-labels.ts";
import { spawnDetached, stopGroups } from "./process-group.ts";

export interface CommandResult {
  exitCode: number;
  /** The last lines of its output. */
  tail: string[];
}

export interface RunCommandOptions {
  command: string;
  cwd: string;
  labels: ProcessLabels;
  output: OutputCapture;
  /** The name its log files carry, and the `app` its lines are stored under. */
  logName: string;
  logApp: string;
  signal: AbortSignal;
  env?: Record<string, string>;
  /** How many of the last output lines `tail` holds (default 30). */
  tailLines?: number;
}

export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const files = await options.output.open(options.logName, options.logApp);
  let started;
  try {
    started = await spawnDetached({
      command: "sh",
      args: ["-c", options.command],
      cwd: options.cwd,
      env: childEnvironment(options.env ?? {}, options.labels),
      stdout: files.stdout,
      stderr: files.stderr,
    });
  } finally {
    await files.close();
  }
  const pid = started.pid;
  const abort = (): void => void stopGroups([{ pgid: pid, role: options.labels.role }], 2_000);
  options.signal.addEventListener("abort", abort, { once: true });
  try {
    const exitCode = await started.exited;
    // The shell may be gone while its children still run (`cmd &`): a step leaves nothing behind.
    await stopGroups([{ pgid: pid, role: options.labels.role }], 1_000);
    return { exitCode, tail: await options.output.tail(options.logName, options.tailLines) };
  } finally {
    options.signal.removeEventListener("abort", abort);
  }
}
