/**
 * Copies between a folder of root's and one another user writes (a worktree, handed to the runner
 * user its apps run as) without root ever reading or writing through that user's folders: a `tar`
 * stream whose side in that user's folder runs as that user. Any running app can swap one of its
 * folders for a link at any moment; root following it would read or write wherever it points.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";

/** The user one side of a copy runs as; previewd itself when undefined. */
export type RunAs = { uid: number; gid: number } | undefined;

/**
 * The environment of a helper previewd runs as another user (a `tar` of the cache's, a reach
 * check): only what finds and runs the program. Nothing of previewd's, whose secrets that user's
 * apps could read in `/proc/<pid>/environ` while the helper runs.
 */
export function helperEnvironment(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { PATH: base.PATH ?? "/usr/local/bin:/usr/bin:/bin", LC_ALL: "C" };
}

/**
 * Copies `names` (relative to `from.dir`) into `to.dir` as one `tar` stream, each side run `as` the
 * given user (previewd itself when none) in its folder. The side in a worktree runs as the
 * worktree's runner: root never reads or writes through the runner's folders, one of which a
 * running app (of any environment: they share the runner) could swap for a link to a root-only
 * place meanwhile. The reading side is the runner's and may be tampered with: what it sends is
 * written by GNU tar's defaults, which keep every name inside `to.dir`. `sync`: on disk before
 * this returns. `removeFirst`: names (relative to `to.dir`) the writer removes before it writes.
 */
export async function streamCopy(
  from: { dir: string; names: readonly string[]; as?: RunAs },
  to: { dir: string; flags: readonly string[]; as?: RunAs; sync?: boolean; removeFirst?: readonly string[] },
): Promise<void> {
  const list = ["--null", "--verbatim-files-from", "--files-from=-"];
  const reader = spawnSide(["tar", "-c", "--format=posix", "--sparse", ...list], from.dir, from.as);
  // umask 022: modes as a `cp` under a usual umask makes them, whatever previewd's (root's is
  // often 077), where the writer applies one (--no-same-permissions).
  // The flags are previewd's own words; the names to remove first come as arguments.
  const remove = to.removeFirst?.length ? 'rm -rf -- "$@" && ' : "";
  const write = `umask 022 && ${remove}tar -x ${to.flags.join(" ")}${to.sync ? " && sync -f ." : ""}`;
  let writer: ReturnType<typeof spawnSide>;
  try {
    // The reader's output is the writer's input, process to process: when either ends, the other
    // sees it (end of input, or a broken pipe) rather than waiting on previewd.
    const removed = to.removeFirst ?? [];
    writer = spawnSide(["sh", "-c", write, "sh", ...removed], to.dir, to.as, reader.child.stdout!);
  } catch (error) {
    reader.child.kill("SIGKILL");
    throw error;
  } finally {
    reader.child.stdout!.destroy(); // previewd's end of that pipe: the writer holds its own.
  }
  reader.child.stdin!.end(from.names.map((name) => `${name}\0`).join(""));
  const [read, written] = await Promise.all([reader.done, writer.done]);
  // Whichever side failed first: the other's failure is then only a broken pipe, or a cut archive.
  if (read && !(written && /broken pipe/i.test(read)))
    throw new Error(`could not read from ${from.dir}: ${read}`);
  if (written) throw new Error(`could not write to ${to.dir}: ${written}`);
}

/**
 * A process of streamCopy, its input `input` (else a pipe from previewd), and once it ends, what
 * it said on stderr if it failed. Its environment holds nothing of previewd's: the runner's side
 * runs as the user whose apps could read it.
 */
function spawnSide(
  [command, ...args]: readonly string[],
  cwd: string,
  as: RunAs,
  input: Readable | "pipe" = "pipe",
): { child: ChildProcess; done: Promise<string | undefined> } {
  const child = spawn(command!, args, {
    cwd,
    env: helperEnvironment(),
    // The reader's output goes to the writer; the writer's says nothing.
    stdio: [input, input === "pipe" ? "pipe" : "ignore", "pipe"],
    ...(as && { uid: as.uid, gid: as.gid }),
  });
  child.stdin?.on("error", () => undefined); // The reader's list: it may exit before reading it all.
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-2000)));
  const done = new Promise<string | undefined>((resolve) => {
    child.once("error", (error) => resolve(error.message));
    child.once("close", (code, signal) =>
      resolve(code === 0 ? undefined : stderr.trim() || `${command} exited with ${code ?? signal}`),
    );
  });
  return { child, done };
}
