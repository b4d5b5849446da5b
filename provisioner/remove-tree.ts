/**
 * Removing a folder that another user writes: a worktree and the data of its environment (the
 * runner's files, a service's data), a runner's home. As root, Node's `fs.rm` walks such a tree by
 * path: a running app that swaps one of its folders for a link to `/etc` between a check and a
 * listing has root remove what the link points to (any app: environments share the runner, and
 * each can reach the others' worktrees). GNU `rm -r` walks by descriptor, and never through a link.
 */
import { execFile } from "node:child_process";
import { lstat } from "node:fs/promises";
import { promisify } from "node:util";
import { helperEnvironment, type RunAs } from "./tar-stream.ts";

const run = promisify(execFile);

/** Removes `path` and everything below it; nothing when it is missing. */
export async function removeTree(path: string): Promise<void> {
  // Nothing there (a new environment's service data, say): no process to start, each fork of
  // previewd's a pause of its event loop.
  if ((await lstat(path).catch((error: NodeJS.ErrnoException) => error.code)) === "ENOENT") return;
  try {
    await run("rm", ["-rf", "--", path]);
  } catch (error) {
    const said = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`could not remove ${path}: ${said || (error as Error).message}`, { cause: error });
  }
}

/**
 * Removes `names` (relative to `dir`) and everything below them, as `as` (previewd itself when
 * undefined): one `rm`, the list on its input (no limit on its length).
 */
export async function removeAll(dir: string, names: readonly string[], as: RunAs): Promise<void> {
  if (names.length === 0) return;
  const removing = run("xargs", ["-0", "rm", "-rf", "--"], {
    cwd: dir,
    env: helperEnvironment(),
    ...(as && { uid: as.uid, gid: as.gid }),
  });
  removing.child.stdin!.end(names.map((name) => `${name}\0`).join(""));
  await removing;
}
