/**
 * Small real git repositories for tests.
 *
 *   const repo = await createGitRepo({ "preview.yaml": "version: 1\n…", "apps/api/server.js": "…" });
 *   repo.dir                                   // absolute path; HEAD on `main` (opts.branch)
 *   repo.head                                  // sha of the first commit
 *   await repo.commit({ "a.txt": "2" }, "msg")             // commit on the current branch → sha
 *   await repo.commit({ "a.txt": null }, "rm", "feature/x")  // null deletes; commits on another
 *                                                           // branch (created from HEAD if new) and
 *                                                           // comes back, so HEAD stays where it was
 *   await repo.branch("release")               // new branch at HEAD (not checked out) → sha
 *   await repo.tag("v1")                       // lightweight tag at HEAD → sha
 *   await repo.git("log", "--oneline")         // any git command in the repo → stdout
 *   await repo.remove()                        // or `await using repo = …`
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

export interface GitFixture extends AsyncDisposable {
  dir: string;
  /** The sha of the initial commit. */
  head: string;
  commit(files: Record<string, string | null>, message?: string, branch?: string): Promise<string>;
  branch(name: string): Promise<string>;
  tag(name: string): Promise<string>;
  git(...args: string[]): Promise<string>;
  remove(): Promise<void>;
}

const identity = [
  "-c",
  "user.name=previewd tests",
  "-c",
  "user.email=tests@previewd.invalid",
  "-c",
  "commit.gpgsign=false",
];

export async function createGitRepo(
  files: Record<string, string | null>,
  opts: { branch?: string; parentDir?: string } = {},
): Promise<GitFixture> {
  const dir = await realpath(await mkdtemp(path.join(opts.parentDir ?? os.tmpdir(), "previewd-repo-")));
  const git = async (...args: string[]) =>
    (await exec("git", [...identity, ...args], { cwd: dir })).stdout.trim();

  async function write(changes: Record<string, string | null>): Promise<void> {
    for (const [file, content] of Object.entries(changes)) {
      const target = path.join(dir, file);
      if (content === null) {
        await git("rm", "-q", "--", file);
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, content);
      await git("add", "--", file);
    }
  }

  async function commit(changes: Record<string, string | null>, message = "change", branch?: string) {
    const previous = branch ? await git("symbolic-ref", "--short", "HEAD") : undefined;
    if (branch) {
      const known = await git("branch", "--list", branch);
      await git("checkout", "-q", ...(known ? [branch] : ["-b", branch]));
    }
    await write(changes);
    await git("commit", "-q", "--allow-empty", "-m", message);
    const sha = await git("rev-parse", "HEAD");
    if (previous) await git("checkout", "-q", previous);
    return sha;
  }

  await git("init", "-q", "-b", opts.branch ?? "main");
  const head = await commit(files, "initial");
  const remove = () => rm(dir, { recursive: true, force: true });
  return {
    dir,
    head,
    commit,
    async branch(name) {
      await git("branch", name);
      return git("rev-parse", name);
    },
    async tag(name) {
      await git("tag", name);
      return git("rev-parse", `${name}^{commit}`);
    },
    git,
    remove,
    [Symbol.asyncDispose]: remove,
  };
}
