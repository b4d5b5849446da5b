import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SourceError } from "../errors.ts";
import { runnerIds } from "../runtimes/process/child-identity.ts";
import { worktreeGitArgs } from "./worktree-git.ts";

const root = process.getuid?.() === 0;

describe.skipIf(!root)("root's git in a worktree handed to previewd-run", () => {
  let base: string;
  let worktree: string;
  let uid: number;
  const git = (...args: string[]) => execFileSync("git", args, { encoding: "utf8" });
  const chown = (dir: string) => execFileSync("chown", ["-R", `${uid}`, dir]);

  beforeAll(async () => {
    uid = (await runnerIds()).uid;
    base = await mkdtemp(path.join(tmpdir(), "worktree-git-"));
    const repo = path.join(base, "repo");
    await mkdir(path.join(repo, "apps/web"), { recursive: true });
    await writeFile(path.join(repo, "apps/web/a.txt"), "a");
    git("-C", repo, "init", "-q");
    git("-C", repo, "add", ".");
    git("-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a");
    worktree = path.join(base, "worktree");
    git("-C", repo, "worktree", "add", "-q", "--detach", worktree, "HEAD");
    chown(worktree);
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it("names the worktree's own admin dir, also from a subfolder, and git works", async () => {
    const args = await worktreeGitArgs(path.join(worktree, "apps/web"));
    expect(args).toContain(`--work-tree=${worktree}`);
    expect(args.find((a) => a.startsWith("--git-dir="))).toMatch(/repo\/\.git\/worktrees\/worktree$/);
    expect(git(...args, "ls-files")).toBe("a.txt\n");
  });

  it("refuses a .git file pointing at a folder the user made, and a .git folder the user owns", async () => {
    const forged = path.join(base, "forged");
    await mkdir(path.join(forged, "evil"), { recursive: true });
    await writeFile(path.join(forged, "evil/gitdir"), `${path.join(forged, ".git")}\n`);
    await writeFile(path.join(forged, ".git"), `gitdir: ${path.join(forged, "evil")}\n`);
    chown(forged);
    await expect(worktreeGitArgs(forged)).rejects.toThrow(SourceError);
    const own = path.join(base, "own");
    await mkdir(own);
    git("-C", own, "init", "-q");
    chown(own);
    await expect(worktreeGitArgs(own)).rejects.toThrow(/previewd-run owns it/);
  });
});
