/**
 * A commit of `files` checked out as previewd checks one out, for the process runtime's tests: a
 * repository of its own in `<base>/repos/<name>`, and a detached worktree of it in previewd's
 * worktree folder for `owner` below `<base>/data` (runner-places.ts: as root, a folder the runner
 * user can enter).
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Manifest } from "../../provisioner/manifest/manifest-schema.ts";
import { worktreePlace } from "../../provisioner/runtimes/process/runner-places.ts";
import type { RuntimeEnvironment } from "../../provisioner/runtimes/runtime.ts";

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

/** The environment a runtime is given for a worktree, its apps' URLs and flags in previewd's shape. */
export function runtimeEnvironment(
  id: string,
  rootDir: string,
  dataDir: string,
  manifest: Manifest,
  ref = "main",
): RuntimeEnvironment {
  return {
    id,
    name: manifest.name,
    ref,
    commit: "abc123",
    rootDir,
    dataDir,
    manifest,
    appUrls: Object.fromEntries(
      Object.keys(manifest.apps).map((app) => [app, `http://${app}--${id}.localhost:7070`]),
    ),
    flagsUrl: `http://127.0.0.1:7070/v1/environments/${id}/ofrep`,
    flagsToken: "flags-token",
  };
}
