/**
 * A commit of `files` checked out as previewd checks one out, for the process runtime's tests: a
 * repository of its own in `<base>/repos/<name>`, and a detached worktree of it in previewd's
 * worktree folder for `owner` below `<base>/data` (runner-places.ts: as root, a folder the runner
 * user can enter).
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { worktreePlace } from "../../provisioner/runtimes/process/runner-places.ts";

export type Git = (...args: string[]) => void;

export async function runnerWorktree(
  base: string,
  owner: string,
  name: string,
  files: Record<string, string>,
  /** Runs after the files are written and added, before the commit (vendoring, say). */
  beforeCommit?: (repo: string, git: Git) => void,
): Promise<string> {
  const repo = join(base, "repos", name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, file)), { recursive: true });
    await writeFile(join(repo, file), content);
  }
  const git: Git = (...args) =>
    void execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      stdio: "ignore",
    });
  git("init", "-q");
  git("add", ".");
  beforeCommit?.(repo, git);
  git("commit", "-qm", "init");
  const place = await worktreePlace(join(base, "data"), owner);
  await (place.prepareDir ?? ((dir: string) => mkdir(dir, { recursive: true })))(place.worktreesDir);
  const root = join(place.worktreesDir, name);
  git("worktree", "add", "-q", "--detach", root, "HEAD");
  return root;
}
