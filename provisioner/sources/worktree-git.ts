/**
 * How root's git names a worktree another user owns (previewd's worktrees are handed to the
 * unprivileged user their steps and apps run as: runtimes/process/child-identity.ts).
 *
 * git refuses such a worktree ("dubious ownership") for good reason: its `.git` file is that
 * user's to rewrite, and could point root's git at a repository whose config runs commands. So
 * root never lets git find the repository through `.git`: it reads the file once, accepts it
 * only if it names an admin dir root owns whose own `gitdir` file names this worktree back
 * (only `git worktree add` makes that pair), and passes it explicitly with `--git-dir`.
 */
import { lstat, readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { SourceError } from "../errors.ts";
import { runnerUser } from "../runner-user.ts";

const run = promisify(execFile);

async function ownedByRunner(uid: number): Promise<boolean> {
  const name = await run("getent", ["passwd", String(uid)]).then(
    ({ stdout }) => stdout.split(":")[0],
    () => undefined,
  );
  return name === runnerUser;
}

/** The arguments that put git in `dir` (`-C dir`, and for another user's worktree its admin dir). */
export async function worktreeGitArgs(dir: string): Promise<string[]> {
  const here = ["-C", dir];
  if (process.getuid?.() !== 0) return here;
  // `dir` may be a monorepo in a subfolder of the worktree: the worktree is where `.git` is.
  const top = await worktreeTop(dir);
  if (!top) return here; // Not in a repository: git says so itself.
  const owner = await lstat(top).then((info) => info.uid);
  const dotGit = path.join(top, ".git");
  const info = await lstat(dotGit);
  // Root's own checkout: git's discovery is safe (and its ownership check passes).
  if (owner === 0 && info.uid === 0) return here;
  const refuse = (why: string) =>
    new SourceError(`refusing to run git as root in ${JSON.stringify(top)}: ${why}`);
  if (!info.isFile()) {
    // A repository of its own: a caller's checkout run in place is that caller's, trusted in its
    // own folder; one the runner user owns is code previewd runs, never trusted by root's git.
    if (await ownedByRunner(owner)) throw refuse(`${runnerUser} owns it and it is not previewd's worktree`);
    return [...here, "-c", `safe.directory=${top}`];
  }
  const match = /^gitdir: (.+)$/m.exec(await readFile(dotGit, "utf8"));
  if (!match?.[1]) throw refuse("its .git file names no gitdir");
  const adminDir = path.resolve(top, match[1].trim());
  const admin = await lstat(adminDir).catch(() => undefined);
  const back = await lstat(path.join(adminDir, "gitdir")).catch(() => undefined);
  if (!admin?.isDirectory() || admin.uid !== 0 || !back?.isFile() || back.uid !== 0) {
    throw refuse(`${adminDir} is not a worktree admin dir root owns`);
  }
  const named = (await readFile(path.join(adminDir, "gitdir"), "utf8")).trim();
  const same = await Promise.all([realpath(named), realpath(dotGit)]).then(
    ([a, b]) => a === b,
    () => false,
  );
  if (!same) throw refuse(`${adminDir} belongs to another worktree`);
  return [...here, `--git-dir=${adminDir}`, `--work-tree=${top}`];
}

/** The nearest folder from `dir` up that holds a `.git` entry. */
async function worktreeTop(dir: string): Promise<string | undefined> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (
      await lstat(path.join(current, ".git")).then(
        () => true,
        () => false,
      )
    )
      return current;
    if (path.dirname(current) === current) return undefined;
  }
}
