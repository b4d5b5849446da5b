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
import { lstat, mkdir, mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { removeTree } from "../remove-tree.ts";
import { helperEnvironment, streamCopy, type RunAs } from "../tar-stream.ts";
import { errorMessage, SourceError } from "../errors.ts";
import { forcedConfigArgs, gitEnvironment } from "./git.ts";

const run = promisify(execFile);

/** Who `folder` was handed to: its owner when previewd is root and that is another user. */
export async function handedTo(folder: string): Promise<RunAs> {
  if (process.getuid?.() !== 0) return undefined;
  const info = await lstat(folder);
  return info.uid === 0 ? undefined : { uid: info.uid, gid: info.gid };
}

/**
 * What root's part runs, in one shell (one process forked by previewd, whose every fork costs it
 * the more the larger it is): the tracked files that differ from the commit listed, those only the
 * worktree has (`A`: the commit drops them) apart; the commit's versions of the others checked out
 * into the scratch folder (a temporary index: filters, line endings, links and modes as a checkout
 * applies them); then `HEAD` and the index moved (`reset --mixed`, which leaves the worktree be).
 * $1 scratch, $2 commit, $3 the scratch's worktree argument, then git's leading arguments.
 */
const rootPart = `set -e
s=$1 c=$2 t=$3
shift 3
git "$@" diff --name-only --no-renames -z --diff-filter=A "$c" -- > "$s/dropped"
git "$@" diff --name-only --no-renames -z --diff-filter=a "$c" -- > "$s/written"
if [ -s "$s/written" ]; then
  GIT_INDEX_FILE="$s/index" git "$@" read-tree "$c"
  GIT_INDEX_FILE="$s/index" git "$@" "$t" checkout-index -f -z --stdin < "$s/written"
fi
git "$@" reset -q --mixed "$c"`;

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
    const tree = path.join(scratch, "tree");
    await mkdir(tree);
    const git = where.filter((arg) => !arg.startsWith("--work-tree="));
    await run(
      "sh",
      ["-c", rootPart, "sh", scratch, commit, `--work-tree=${tree}`, ...forcedConfigArgs, ...git],
      {
        env: gitEnvironment(),
        signal,
      },
    ).catch((error: unknown) => {
      const said = (error as { stderr?: string }).stderr?.trim();
      throw new SourceError(`could not check ${commit} out in ${top}: ${said || errorMessage(error)}`, {
        cause: error,
      });
    });
    const list = async (name: string) =>
      (await readFile(path.join(scratch, name), "utf8")).split("\0").filter(Boolean);
    const [written, dropped] = await Promise.all([list("written"), list("dropped")]);
    const below = path.relative(top, handedOver);
    const runners = (file: string) => below === "" || file === below || file.startsWith(`${below}/`);
    for (const [as, mine] of [
      [runner, runners],
      [undefined, (file: string) => !runners(file)],
    ] as const) {
      const names = written.filter(mine);
      // Dropped first: a folder the commit turns into a file must be gone before the file comes.
      const gone = dropped.filter(mine);
      if (names.length === 0 || gone.length > removedAtOnce) await removeAs(top, gone, as);
      if (names.length === 0) continue;
      const flags = ["--same-permissions", "--no-same-owner", "--no-overwrite-dir"];
      const removeFirst = gone.length > removedAtOnce ? [] : gone;
      await streamCopy({ dir: tree, names }, { dir: top, as, flags, removeFirst });
    }
  } finally {
    await removeTree(scratch);
  }
}

/** Names removed by the writer of the copy as its arguments; more go to an `rm` of their own. */
const removedAtOnce = 2_000;

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
