/**
 * A redeploy's checkout in a worktree handed to the runner user its apps run as (as root:
 * runtimes/process/child-identity.ts). Its apps are running, and any app can swap a folder for a
 * link at any moment; `git checkout` as root checks each folder, then writes below it by path, so
 * a swap in between would have root write the commit's file wherever the link points. Here root
 * writes only into folders of its own: git checks the changed files out into a scratch folder, the
 * runner user takes them from there (a `tar` stream, tar-stream.ts) and removes the files the
 * commit drops, and root's git then moves `HEAD` and the index alone.
 */
import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { removeTree } from "../remove-tree.ts";
import { helperEnvironment, streamCopy, type RunAs } from "../tar-stream.ts";
import { runGit } from "./git.ts";

const run = promisify(execFile);

/** Who `folder` was handed to: its owner when previewd is root and that is another user. */
export async function handedTo(folder: string): Promise<RunAs> {
  if (process.getuid?.() !== 0) return undefined;
  const info = await lstat(folder);
  return info.uid === 0 ? undefined : { uid: info.uid, gid: info.gid };
}

/**
 * Moves worktree `top` (git run with `where`, worktree-git.ts) to `commit` as `git checkout
 * --detach --force` does: tracked files as the commit has them, local changes to them dropped,
 * untracked files kept. What lies in `handedOver` (the worktree, or the monorepo's folder in it)
 * is written and removed as `runner`; the rest, root's own folders, by root.
 */
export async function checkoutAs(
  where: readonly string[],
  top: string,
  handedOver: string,
  commit: string,
  runner: NonNullable<RunAs>,
  signal?: AbortSignal,
): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "previewd-checkout-"));
  try {
    const index = { GIT_INDEX_FILE: path.join(scratch, "index") };
    const [changes] = await Promise.all([
      // Every tracked path whose worktree file differs from the commit's: `A`, only the worktree
      // has it (the commit drops it); anything else, the commit's is to be written.
      runGit([...where, "diff", "--name-status", "--no-renames", "-z", commit, "--"], { signal }),
      runGit([...where, "read-tree", commit], { signal, env: index }),
    ]);
    const fields = changes.stdout.split("\0");
    const written: string[] = [];
    const dropped: string[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2)
      (fields[i] === "A" ? dropped : written).push(fields[i + 1]!);
    if (written.length + dropped.length > 0) {
      const tree = path.join(scratch, "tree");
      await mkdir(tree);
      const into = [...where.filter((arg) => !arg.startsWith("--work-tree=")), `--work-tree=${tree}`];
      // Filters, line endings, links and modes as a checkout applies them.
      const input = written.map((file) => `${file}\0`).join("");
      await runGit([...into, "checkout-index", "-f", "-z", "--stdin"], { signal, env: index, input });
      const below = path.relative(top, handedOver);
      const runners = (file: string) => below === "" || file === below || file.startsWith(`${below}/`);
      for (const [as, mine] of [
        [runner, runners],
        [undefined, (file: string) => !runners(file)],
      ] as const) {
        // Dropped first: a folder the commit turns into a file must be gone before the file comes.
        await removeAs(top, dropped.filter(mine), as);
        const names = written.filter(mine);
        if (names.length === 0) continue;
        const flags = ["--same-permissions", "--no-same-owner", "--no-overwrite-dir"];
        await streamCopy({ dir: tree, names }, { dir: top, as, flags });
      }
    }
    await runGit([...where, "reset", "-q", "--mixed", commit], { signal }); // HEAD and the index only.
  } finally {
    await removeTree(scratch);
  }
}

/** Removes `files` (relative to `top`) as `as`, by one `rm` with the list on its input. */
async function removeAs(top: string, files: readonly string[], as: RunAs): Promise<void> {
  if (files.length === 0) return;
  const removing = run("xargs", ["-0", "rm", "-rf", "--"], {
    cwd: top,
    env: helperEnvironment(),
    ...(as && { uid: as.uid, gid: as.gid }),
  });
  removing.child.stdin!.end(files.map((file) => `${file}\0`).join(""));
  await removing;
}
