/**
 * previewd's own git worktrees, one per environment, under one directory it owns. Names come from
 * the ref's slug and a hash of the environment's identity, never from the raw ref, so a ref can
 * never choose a path. Also inspects a caller's worktree that runs in place.
 */
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { ConflictError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { exists, isDirectory } from "./fs-checks.ts";
import { GitError, runGit } from "./git.ts";
import { worktreeGitArgs } from "./worktree-git.ts";
import { assertCommit, type ResolvedRepo } from "./repo-source.ts";
import { sha256Hex, slug } from "./slug.ts";
import { removeTree } from "../remove-tree.ts";
import { checkoutAs, handedTo } from "./runner-checkout.ts";
import type { RunAs } from "../tar-stream.ts";

export interface InspectedWorktree {
  /** The worktree's top level directory. */
  path: string;
  commit: string;
  /** The checked-out branch, or the commit when HEAD is detached. */
  ref: string;
  /** Its repository's common git dir, to check it belongs to the repo it was named with. */
  gitDir: string;
}

export interface WorktreeManager {
  worktreeName(envKey: string, ref: string): string;
  /** Checks `commit` out, detached, at `<worktreesDir>/<name>`; leaves nothing behind on failure. */
  add(repo: ResolvedRepo, name: string, commit: string, signal?: AbortSignal): Promise<string>;
  /**
   * The files of `commit` (below `dir`, relative to it) as `git ls-files -s -z` lists them in a
   * worktree just checked out at it (`<mode> <blob> 0\t<path>`), read from the repository: it runs
   * beside the checkout, while listing the worktree's index would wait for it.
   */
  trackedAt(repo: ResolvedRepo, commit: string, dir?: string | null): Promise<string[]>;
  /**
   * Moves a worktree to another commit, keeping untracked and ignored files (node_modules, builds).
   * As root, what lies in `handedOver` (the worktree, or its monorepo folder), once handed to
   * another user, is written as that user (runner-checkout.ts). Resolves with that user: it wrote
   * nothing there as anyone else, so a folder that was all theirs still is. Undefined: previewd's
   * own user wrote it.
   */
  checkout(
    worktreePath: string,
    commit: string,
    options?: { handedOver?: string; signal?: AbortSignal },
  ): Promise<RunAs>;
  /** Idempotent: a missing worktree is not an error. */
  remove(repo: ResolvedRepo, worktreePath: string): Promise<void>;
  /** Every directory under worktreesDir, to find orphans after a crash. */
  list(): Promise<string[]>;
  /** Throws ValidationError (path `worktree`) unless `dir` is inside a git worktree with a commit. */
  inspectWorktree(dir: string, signal?: AbortSignal): Promise<InspectedWorktree>;
}

export interface WorktreeManagerDeps {
  worktreesDir: string;
  logger: Logger;
  /** Makes worktreesDir (and sets its modes) before a worktree is added; default: mkdir. */
  prepareDir?: (dir: string) => Promise<void>;
  /** Called with worktreesDir after a worktree is removed (to remove folders left empty). */
  tidyDir?: (dir: string) => Promise<void>;
}

const namePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function createWorktreeManager({
  worktreesDir,
  logger,
  prepareDir = (dir) => mkdir(dir, { recursive: true }).then(() => undefined),
  tidyDir = async () => undefined,
}: WorktreeManagerDeps): WorktreeManager {
  const root = path.resolve(worktreesDir);

  /** Anything we rm -rf must be one of our own directories. */
  function ownPath(worktreePath: string): string {
    const resolved = path.resolve(worktreePath);
    if (path.dirname(resolved) !== root || !namePattern.test(path.basename(resolved))) {
      throw new ValidationError(`${JSON.stringify(worktreePath)} is not a worktree previewd manages`, {
        errors: [{ path: "worktree", message: `expected a directory directly under ${root}` }],
      });
    }
    return resolved;
  }

  /**
   * Removes worktree `target`, then what git keeps of it. Not `git worktree remove` on the folder,
   * which walks it by path as root: a running app could swap a folder for a link meanwhile
   * (remove-tree.ts). Once the folder is gone, `remove --force --force` drops only git's record,
   * even one a killed `add` left locked (which `prune` keeps, and the same name could never be
   * added again); `prune` when git has no record of it (the repo moved, say).
   */
  async function discard(repo: ResolvedRepo, target: string): Promise<void> {
    await removeTree(target);
    const args = ["worktree", "remove", "--force", "--force", target];
    await runGit([`--git-dir=${repo.gitDir}`, ...args]).catch(() => prune(repo));
  }

  async function prune(repo: ResolvedRepo): Promise<void> {
    await runGit([`--git-dir=${repo.gitDir}`, "worktree", "prune"]).catch((error: unknown) =>
      logger.warn({ err: error, gitDir: repo.gitDir }, "git worktree prune failed"),
    );
  }

  return {
    worktreeName(envKey, ref) {
      return `${slug(ref, 30)}-${sha256Hex(envKey, 8)}`;
    },

    async add(repo, name, commit, signal) {
      assertCommit(commit);
      const target = ownPath(path.join(root, name));
      await prepareDir(root);
      if (await exists(target)) throw new ConflictError(`worktree ${JSON.stringify(target)} already exists`);
      try {
        const args = ["worktree", "add", "--detach", "--quiet", "--end-of-options", target, commit];
        await runGit([`--git-dir=${repo.gitDir}`, ...args], { signal });
      } catch (error) {
        await discard(repo, target);
        throw error;
      }
      logger.info({ worktree: target, commit }, "worktree added");
      return target;
    },

    async trackedAt(repo, commit, dir) {
      assertCommit(commit);
      // `<commit>:<dir>`: what follows the colon is a path, read as it is.
      const tree = dir ? `${commit}:${dir}` : commit;
      const { stdout } = await runGit([
        `--git-dir=${repo.gitDir}`,
        "ls-tree",
        "-r",
        "--full-tree",
        "-z",
        tree,
      ]);
      // `<mode> <type> <object>\t<path>`, in the index's order.
      return stdout
        .split("\0")
        .filter(Boolean)
        .map((line) => {
          const tab = line.indexOf("\t");
          const [mode, , object] = line.slice(0, tab).split(" ");
          return `${mode} ${object} 0${line.slice(tab)}`;
        });
    },

    async checkout(worktreePath, commit, { handedOver = worktreePath, signal } = {}) {
      assertCommit(commit);
      // checkout has no --end-of-options in older git; a full hex commit cannot be read as an option.
      const where = await worktreeGitArgs(worktreePath);
      const runner = await handedTo(handedOver);
      if (runner) {
        await checkoutAs(where, worktreePath, handedOver, commit, runner, signal);
        return runner;
      }
      await runGit([...where, "checkout", "--detach", "--force", "--quiet", commit], { signal });
      return undefined;
    },

    async remove(repo, worktreePath) {
      const target = ownPath(worktreePath);
      await discard(repo, target);
      await tidyDir(root);
      logger.info({ worktree: target }, "worktree removed");
    },

    async list() {
      const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
      return entries
        .filter((e) => e.isDirectory() && namePattern.test(e.name))
        .map((e) => path.join(root, e.name))
        .sort();
    },

    async inspectWorktree(dir, signal) {
      const absolute = path.resolve(dir);
      const invalid = (why: string) => {
        const message = `no git worktree at ${JSON.stringify(absolute)}: ${why}`;
        return new ValidationError(message, { errors: [{ path: "worktree", message }] });
      };
      if (!(await isDirectory(absolute))) throw invalid("no such directory");
      const git = (args: string[]) => runGit(["-C", absolute, ...args], { signal });
      let lines: string[];
      try {
        const args = ["rev-parse", "--path-format=absolute", "--show-toplevel", "--git-common-dir"];
        lines = (await git(args)).stdout.split("\n");
      } catch (error) {
        if (error instanceof GitError)
          throw invalid(error.stderr.trim().split("\n")[0] ?? "not a git worktree");
        throw error;
      }
      const head = await git(["rev-parse", "--verify", "-q", "HEAD^{commit}"]).catch(() => undefined);
      if (!head) throw invalid("it has no commits yet");
      const commit = head.stdout.trim();
      const branch = await git(["symbolic-ref", "-q", "--short", "HEAD"]).catch(() => undefined);
      return {
        path: lines[0] ?? absolute,
        commit,
        ref: branch?.stdout.trim() || commit,
        gitDir: lines[1] ?? "",
      };
    },
  };
}
