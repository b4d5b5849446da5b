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
import { removeAll, removeTree } from "../remove-tree.ts";
import { streamCopy, type RunAs } from "../tar-stream.ts";
import { errorMessage, SourceError } from "../errors.ts";
import { forcedConfigArgs, gitEnvironment, runGit } from "./git.ts";

const run = promisify(execFile);

/** Who `folder` was handed to: its owner when previewd is root and that is another user. */
export async function handedTo(folder: string): Promise<RunAs> {
  if (process.getuid?.() !== 0) return undefined;
  const info = await lstat(folder);
  return info.uid === 0 ? undefined : { uid: info.uid, gid: info.gid };
}

/**
 * What root's part runs first, in one shell (one process forked by previewd, whose every fork
 * costs it the more the larger it is): the tracked files that differ from the commit listed, those
 * only the worktree has (`A`: the commit drops them) apart; then the commit's versions of the
 * others checked out into the scratch folder (a temporary index: filters, line endings, links and
 * modes as a checkout applies them). Submodules' own changes are not asked for: that would run git
 * as root in a repository the runner's folder holds, with its config (a filter runs a command).
 * $1 scratch, $2 commit, $3 the scratch's worktree argument, then git's leading arguments.
 */
const rootPart = `set -e
s=$1 c=$2 t=$3
shift 3
d="diff --name-only --no-renames --ignore-submodules=dirty -z"
git "$@" $d --diff-filter=A "$c" -- > "$s/dropped"
git "$@" $d --diff-filter=a "$c" -- > "$s/written"
if [ -s "$s/written" ]; then
  GIT_INDEX_FILE="$s/index" git "$@" read-tree "$c"
  GIT_INDEX_FILE="$s/index" git "$@" "$t" checkout-index -f -z --stdin < "$s/written"
fi`;

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
    const [written, files] = await Promise.all([list("written"), list("dropped")]);
    // A folder the commit turns into a file goes whole, untracked files and all, as a checkout
    // removes it: before the file comes.
    const folders = new Set(files.flatMap((file) => ancestors(file)));
    const dropped = [...files, ...written.filter((file) => folders.has(file))];
    const below = path.relative(top, handedOver);
    const runners = (file: string) => below === "" || file === below || file.startsWith(`${below}/`);
    for (const [as, mine] of [
      [runner, runners],
      [undefined, (file: string) => !runners(file)],
    ] as const) {
      const names = written.filter(mine);
      const gone = dropped.filter(mine);
      // Removed by the copy's writer when they fit its arguments, else by an `rm` of their own.
      const inArguments =
        names.length > 0 && gone.reduce((bytes, file) => bytes + file.length + 1, 0) < 64 * 1024;
      if (!inArguments) await removeAll(top, gone, as);
      if (names.length === 0) continue;
      const flags = ["--same-permissions", "--no-same-owner", "--no-overwrite-dir"];
      await streamCopy({ dir: tree, names }, { dir: top, as, flags, removeFirst: inArguments ? gone : [] });
    }
    // HEAD and the index last, leaving the worktree be: a copy that failed leaves the worktree at
    // its commit as far as git knows, so the next redeploy lists every difference again.
    await runGit([...where, "reset", "-q", "--mixed", commit], { signal });
  } finally {
    await removeTree(scratch);
  }
}

/** The folders `file` (relative, `/`-separated) lies in: `a/b/c` is in `a/b` and `a`. */
function ancestors(file: string): string[] {
  const found: string[] = [];
  for (let at = file.lastIndexOf("/"); at > 0; at = file.lastIndexOf("/", at - 1))
    found.push(file.slice(0, at));
  return found;
}
