/**
 * Runs one step command (install, build, a scenario's exec) to completion: a labelled, detached
 * process group whose output previewd reads through pipes, line by line, into the app's logs. Pipes,
 * not files: a step never outlives previewd (a restart stops it by its labels), and one reader
 * keeps stdout and stderr lines in the order they were written. Aborting stops the whole group.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { LogStream } from "../../logs/log-store.ts";
import { identityBase, identityVariables, type ChildIdentity } from "./child-identity.ts";
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
  /** The `app` its lines are stored under. */
  logApp: string;
  signal: AbortSignal;
  env?: Record<string, string>;
  /** Who it runs as (child-identity.ts); undefined: previewd's own user. */
  identity?: ChildIdentity | undefined;
  /** How many of the last output lines `tail` holds (default 30). */
  tailLines?: number;
}

/** How long to wait for the pipes to drain once the group is gone (a daemonized grandchild may hold them). */
const drainMs = 1_000;

export async function runCommand(options: RunCommandOptions): Promise<CommandResult> {
  const tailLines = options.tailLines ?? 30;
  const tail: string[] = [];
  if (options.signal.aborted) return { exitCode: -1, tail }; // Never start what is already called off.
  const started = await spawnDetached({
    command: "sh",
    args: ["-c", options.command],
    cwd: options.cwd,
    env: childEnvironment(
      { ...identityVariables(options.identity), ...options.env },
      options.labels,
      identityBase(options.identity),
    ),
    stdout: "pipe",
    stderr: "pipe",
    ...(options.identity && { uid: options.identity.uid, gid: options.identity.gid }),
  });
  const read = (stream: Readable | null, name: LogStream): Promise<unknown> => {
    if (!stream) return Promise.resolve();
    stream.on("error", () => undefined); // Ends the lines too; what was read is kept.
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on("line", (line) => {
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
      options.output.line(options.logApp, name, line);
    });
    return once(lines, "close");
  };
  // A pipe error ends its lines early; it must not become an unhandled rejection meanwhile.
  const drained = Promise.all([
    read(started.child.stdout, "stdout"),
    read(started.child.stderr, "stderr"),
  ]).catch(() => undefined);
  const pid = started.pid;
  const abort = (): void => void stopGroups([{ pgid: pid, role: options.labels.role }], 2_000);
  options.signal.addEventListener("abort", abort, { once: true });
  if (options.signal.aborted) abort(); // Aborted while it was being spawned.
  try {
    const exitCode = await started.exited;
    // The shell may be gone while its children still run (`cmd &`): a step leaves nothing behind.
    await stopGroups([{ pgid: pid, role: options.labels.role }], 1_000);
    const timer = AbortSignal.timeout(drainMs);
    await Promise.race([drained, once(timer, "abort")]);
    started.child.stdout?.destroy();
    started.child.stderr?.destroy();
    return { exitCode, tail: [...tail] };
  } finally {
    options.signal.removeEventListener("abort", abort);
  }
}
