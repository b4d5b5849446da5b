import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, SourceError, ValidationError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { createGitRepo, type GitFixture } from "../../test/helpers/git-fixture.ts";
import { runGit } from "./git.ts";
import { createRepoSources, type ResolvedRepo } from "./repo-source.ts";
import { createWorktreeManager } from "./worktree-manager.ts";
import { worktreeGitArgs } from "./worktree-git.ts";

let tmp: string;
let origin: GitFixture;
let second: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "previewd-worktrees-"));
  origin = await createGitRepo({ "app.txt": "one\n", ".gitignore": "node_modules/\n" }, { parentDir: tmp });
  second = await origin.commit({ "app.txt": "two\n" }, "second", "feature/x");
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

async function setup(repoArg = origin.dir) {
  const worktreesDir = await mkdtemp(path.join(tmp, "wt-"));
  const sources = createRepoSources({ cacheDir: path.join(tmp, "cache"), logger: silentLogger });
  const repo = await sources.resolve(repoArg);
  return { worktreesDir, repo, manager: createWorktreeManager({ worktreesDir, logger: silentLogger }) };
}

/** Worktrees git knows about, other than the main one. */
async function linkedWorktrees(repo: ResolvedRepo): Promise<string[]> {
  const { stdout } = await runGit([`--git-dir=${repo.gitDir}`, "worktree", "list", "--porcelain"]);
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice("worktree ".length))
    .filter((p) => p !== origin.dir && p !== repo.gitDir);
}

describe("worktreeName", () => {
  const { worktreeName } = createWorktreeManager({ worktreesDir: "/unused", logger: silentLogger });

  it("is a slug of the ref plus a hash of the environment", () => {
    expect(worktreeName("key-1", "Feature/Big_Change")).toMatch(/^feature-big-change-[0-9a-f]{8}$/);
    expect(worktreeName("key-1", "main")).toBe(worktreeName("key-1", "main"));
    expect(worktreeName("key-1", "main")).not.toBe(worktreeName("key-2", "main"));
  });

  it("never lets the ref choose a path", () => {
    for (const ref of ["../../etc", "a/b/c", ".hidden", "x".repeat(200), "💥"]) {
      const name = worktreeName("k", ref);
      expect(name).toMatch(/^[a-z0-9][a-z0-9-]{0,29}-[0-9a-f]{8}$/);
    }
  });
});

describe("a worktree", () => {
  it.each([
    ["a local repository", () => origin.dir],
    ["a mirrored URL", () => `file://${origin.dir}`],
  ])("is added, moved and removed for %s, leaving nothing", async (_kind, repoArg) => {
    const { worktreesDir, repo, manager } = await setup(repoArg());
    const wt = await manager.add(repo, "main-0badc0de", origin.head);
    expect(wt).toBe(path.join(worktreesDir, "main-0badc0de"));
    expect(await readFile(path.join(wt, "app.txt"), "utf8")).toBe("one\n");
    expect(await manager.list()).toEqual([wt]);
    expect(await linkedWorktrees(repo)).toEqual([wt]);

    // Redeploy: tracked files follow the commit; installs and build outputs stay.
    await mkdir(path.join(wt, "node_modules/dep"), { recursive: true });
    await writeFile(path.join(wt, "node_modules/dep/index.js"), "kept");
    await writeFile(path.join(wt, "dist.txt"), "kept");
    await writeFile(path.join(wt, "app.txt"), "local edit\n");
    // Not handed to anyone: written by previewd's own user.
    expect(await manager.checkout(wt, second)).toBeUndefined();
    expect(await readFile(path.join(wt, "app.txt"), "utf8")).toBe("two\n");
    expect(await readFile(path.join(wt, "node_modules/dep/index.js"), "utf8")).toBe("kept");
    expect(await readFile(path.join(wt, "dist.txt"), "utf8")).toBe("kept");

    await manager.remove(repo, wt);
    expect(existsSync(wt)).toBe(false);
    expect(await readdir(worktreesDir)).toEqual([]);
    expect(await linkedWorktrees(repo)).toEqual([]);
    await manager.remove(repo, wt); // idempotent
  });

  it("leaves nothing behind when adding fails", async () => {
    const { worktreesDir, repo, manager } = await setup();
    const unknown = "0123456789abcdef0123456789abcdef01234567";
    await expect(manager.add(repo, "broken-00000000", unknown)).rejects.toBeInstanceOf(SourceError);
    expect(await readdir(worktreesDir)).toEqual([]);
    expect(await linkedWorktrees(repo)).toEqual([]);
  });

  it("leaves nothing behind when checking out fails halfway", async () => {
    // A commit whose blob is missing: git creates the worktree, then fails to fill it.
    const broken = await createGitRepo({ "ok.txt": "fine" }, { parentDir: tmp });
    const commit = await broken.commit({ "lost.txt": "this blob goes missing" }, "lost");
    const blob = await broken.git("rev-parse", `${commit}:lost.txt`);
    await rm(path.join(broken.dir, ".git/objects", blob.slice(0, 2), blob.slice(2)));
    const { worktreesDir, repo, manager } = await setup(broken.dir);
    const error = await manager.add(repo, "half-00000000", commit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toContain(blob);
    expect(await readdir(worktreesDir)).toEqual([]);
    expect(await readdir(path.join(broken.dir, ".git/worktrees")).catch(() => [])).toEqual([]);
  });

  it("is removed even after its directory vanished", async () => {
    const { repo, manager } = await setup();
    const wt = await manager.add(repo, "gone-00000000", origin.head);
    await rm(wt, { recursive: true, force: true });
    await manager.remove(repo, wt);
    expect(await linkedWorktrees(repo)).toEqual([]);
  });

  it("is removed when locked, as an add killed halfway leaves it, and its name can be added again", async () => {
    const { repo, manager } = await setup();
    const wt = await manager.add(repo, "locked-00000000", origin.head);
    await runGit([`--git-dir=${repo.gitDir}`, "worktree", "lock", "--reason", "initializing", wt]);
    await manager.remove(repo, wt);
    expect(await linkedWorktrees(repo)).toEqual([]);
    expect(await manager.add(repo, "locked-00000000", second)).toBe(wt);
    await manager.remove(repo, wt);
  });

  it("refuses a name that exists, a bad name, a non-hex commit and paths it does not own", async () => {
    const { repo, manager } = await setup();
    const wt = await manager.add(repo, "taken-00000000", origin.head);
    await expect(manager.add(repo, "taken-00000000", origin.head)).rejects.toBeInstanceOf(ConflictError);
    await expect(manager.add(repo, "../escape", origin.head)).rejects.toBeInstanceOf(ValidationError);
    await expect(manager.add(repo, "ok-00000000", "--upload-pack=x")).rejects.toBeInstanceOf(ValidationError);
    await expect(manager.checkout(wt, "-h")).rejects.toBeInstanceOf(ValidationError);
    await expect(manager.remove(repo, origin.dir)).rejects.toBeInstanceOf(ValidationError);
    expect(existsSync(origin.dir)).toBe(true);
    await manager.remove(repo, wt);
  });
});

describe("inspectWorktree", () => {
  const manager = createWorktreeManager({ worktreesDir: "/unused", logger: silentLogger });

  it("reports a caller's worktree: top level, commit and branch", async () => {
    const repo = await createGitRepo({ "apps/api/x.txt": "1" }, { parentDir: tmp });
    const expected = { path: repo.dir, commit: repo.head, ref: "main", gitDir: path.join(repo.dir, ".git") };
    expect(await manager.inspectWorktree(repo.dir)).toEqual(expected);
    expect(await manager.inspectWorktree(path.join(repo.dir, "apps/api"))).toEqual(expected);
  });

  it("reports a detached worktree's ref as its commit", async () => {
    const linked = path.join(tmp, "detached");
    await origin.git("worktree", "add", "-q", "--detach", linked, second);
    expect(await manager.inspectWorktree(linked)).toMatchObject({
      path: linked,
      commit: second,
      ref: second,
    });
    await origin.git("worktree", "remove", "--force", linked);
  });

  it("refuses what is not a git worktree", async () => {
    const plain = await mkdtemp(path.join(tmp, "plain-"));
    const bare = path.join(tmp, "bare.git");
    await origin.git("clone", "-q", "--bare", origin.dir, bare);
    for (const dir of [plain, path.join(tmp, "missing"), bare]) {
      const error = await manager.inspectWorktree(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors?.[0]?.path).toBe("worktree");
      expect((error as ValidationError).message).toContain(`no git worktree at ${JSON.stringify(dir)}`);
    }
  });
});

describe("trackedAt", () => {
  it("lists a commit's files as git ls-files -s does in a worktree checked out at it, whole or below a folder", async () => {
    const files = {
      "a-b": "1",
      "a/b": "2",
      "a.txt": "3",
      a0: "4",
      "apps/web/src/x y.ts": "5",
      "apps/web/ünï.ts": "6",
      "apps/web/line\nbreak.ts": "7",
      "apps/api/run.sh": "#!/bin/sh\n",
    };
    const repo = await createGitRepo(files, { parentDir: tmp });
    const git = (...args: string[]) => runGit(["-C", repo.dir, ...args]);
    await git("update-index", "--chmod=+x", "apps/api/run.sh");
    const target = await runGit(["-C", repo.dir, "hash-object", "-w", "--stdin"], { input: "src/x y.ts" });
    await git("update-index", "--add", "--cacheinfo", `120000,${target.stdout.trim()},apps/web/link`);
    // A submodule's gitlink: the index and the tree name a commit.
    await git("update-index", "--add", "--cacheinfo", `160000,${second},apps/vendor`);
    await git("commit", "-q", "-m", "modes");
    const commit = (await git("rev-parse", "HEAD")).stdout.trim();
    const { repo: resolved, manager } = await setup(repo.dir);
    const worktree = await manager.add(resolved, "tracked", commit);
    const index = async (dir: string) =>
      (await runGit(["-C", dir, "ls-files", "-s", "-z"])).stdout.split("\0").filter(Boolean);

    const whole = await manager.trackedAt(resolved, commit);
    expect(whole).toEqual(await index(worktree));
    expect(whole.some((line) => line.startsWith("160000 ") && line.endsWith("\tapps/vendor"))).toBe(true);
    expect(whole.some((line) => line.startsWith("120000 "))).toBe(true);
    expect(whole.some((line) => line.startsWith("100755 "))).toBe(true);
    expect(await manager.trackedAt(resolved, commit, "apps/web")).toEqual(
      await index(path.join(worktree, "apps/web")),
    );
    await expect(manager.trackedAt(resolved, commit, "no/such")).rejects.toThrow(SourceError);
    await repo.remove();
  });
});

describe.runIf(process.getuid?.() === 0)("checkout as root, in a worktree handed to another user", () => {
  /** Each file below `dir` but git's and node_modules: its kind, exec bit, and content or link target. */
  async function snapshot(dir: string): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    for (const name of await readdir(dir, { recursive: true })) {
      if (name === ".git" || name.startsWith("node_modules")) continue;
      const file = path.join(dir, name);
      const info = await lstat(file);
      if (info.isSymbolicLink()) found[name] = `link ${await readlink(file)}`;
      else if (info.isFile())
        found[name] = `${info.mode & 0o100 ? "exec" : "file"} ${await readFile(file, "utf8")}`;
    }
    return found;
  }

  it("writes as that user what git checkout writes, drops what it drops, and keeps untracked files", async () => {
    const fixture = await createGitRepo(
      {
        "keep.txt": "k\n",
        "mod.txt": "1\n",
        "gone.txt": "g\n",
        "dir2file/inner.txt": "i\n",
        file2dir: "f\n",
        "run.sh": "echo\n",
        "apps/web/src.ts": "s\n",
      },
      { parentDir: tmp },
    );
    const { git, dir } = fixture;
    await symlink("keep.txt", path.join(dir, "link"));
    await git("add", "link");
    await git("commit", "-q", "-m", "link");
    const before = await git("rev-parse", "HEAD");
    await git("rm", "-q", "gone.txt", "dir2file/inner.txt", "file2dir");
    await mkdir(path.join(dir, "file2dir"));
    const files = {
      "mod.txt": "2\n",
      dir2file: "a file now\n",
      "file2dir/inner.txt": "x\n",
      "apps/web/new.ts": "n\n",
    };
    for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
    await rm(path.join(dir, "link"));
    await symlink("mod.txt", path.join(dir, "link"));
    await git("add", "-A");
    await git("update-index", "--chmod=+x", "run.sh");
    await git("commit", "-q", "-m", "after");
    const after = await git("rev-parse", "HEAD");
    const reference = path.join(tmp, "reference");
    await git("worktree", "add", "-q", "--detach", reference, after);
    const expected = await snapshot(reference);

    // The whole worktree handed over, and a monorepo in a folder of it (only `apps` handed over).
    for (const [name, folder] of [
      ["whole-00000000", ""],
      ["inapps-00000000", "apps"],
    ] as const) {
      const { repo, manager } = await setup(dir);
      const wt = await manager.add(repo, name, before);
      const handedOver = path.join(wt, folder);
      await promisify(execFile)("chown", ["-R", "-h", "65534:65534", handedOver]); // as process-steps hands it over
      await writeFile(path.join(wt, "apps/web/src.ts"), "changed while running\n"); // a local change: dropped
      await writeFile(path.join(wt, "dir2file/untracked.txt"), "u\n"); // in a folder the commit makes a file
      await mkdir(path.join(wt, "node_modules"));
      await writeFile(path.join(wt, "node_modules/x.js"), "kept\n"); // untracked: kept

      // Written as the user it was handed to, who runs the steps: no need to hand it over again.
      expect(await manager.checkout(wt, after, { handedOver }), name).toEqual({ uid: 65534, gid: 65534 });

      expect(await snapshot(wt), name).toEqual(expected);
      expect(await readFile(path.join(wt, "node_modules/x.js"), "utf8")).toBe("kept\n");
      const where = await worktreeGitArgs(wt);
      expect((await runGit([...where, "rev-parse", "HEAD"])).stdout.trim()).toBe(after);
      expect((await runGit([...where, "status", "--porcelain", "--untracked-files=no"])).stdout).toBe("");
      const owner = async (file: string) => (await lstat(path.join(wt, file))).uid;
      expect(await owner("apps/web/new.ts"), name).toBe(65534); // written by the user it was handed to
      expect(await owner("mod.txt"), name).toBe(folder === "" ? 65534 : 0); // root's own folder: root
      // The checkout made nothing in the folder handed over anyone else's: what is not that user's
      // is what root wrote there before it (and kept, untracked), no more.
      const others: string[] = [];
      for (const entry of await readdir(handedOver, { recursive: true }))
        if ((await owner(path.join(folder, entry))) !== 65534) others.push(entry);
      expect(others.sort(), name).toEqual(folder === "" ? ["node_modules", "node_modules/x.js"] : []);
      await manager.remove(repo, wt);
    }
  });

  it("never runs git in a repository an app planted in the worktree (a submodule's own config)", async () => {
    const sub = await createGitRepo({ "f.txt": "one\n" }, { parentDir: tmp });
    const fixture = await createGitRepo({ "apps/web/src.ts": "s\n" }, { parentDir: tmp });
    await fixture.git("update-index", "--add", "--cacheinfo", `160000,${sub.head},apps/sub`);
    await fixture.git("commit", "-q", "-m", "a submodule");
    const before = await fixture.git("rev-parse", "HEAD");
    const after = await fixture.commit({ "apps/web/src.ts": "s2\n" }, "after");
    const { repo, manager } = await setup(fixture.dir);
    const wt = await manager.add(repo, "planted-00000000", before);
    // What an app can do in its worktree: a repository whose config runs a command as a filter.
    const planted = path.join(wt, "apps/sub");
    await rm(planted, { recursive: true, force: true });
    await promisify(execFile)("git", ["clone", "-q", sub.dir, planted]);
    const marker = path.join(tmp, "ran-as-root");
    await promisify(execFile)("git", [
      "-C",
      planted,
      "config",
      "filter.evil.clean",
      `sh -c 'touch ${marker}; cat'`,
    ]);
    await writeFile(path.join(planted, ".gitattributes"), "* filter=evil\n");
    await writeFile(path.join(planted, "f.txt"), "two\n"); // same size: only git's clean tells
    await promisify(execFile)("chown", ["-R", "-h", "65534:65534", wt]);

    await manager.checkout(wt, after);

    expect(existsSync(marker)).toBe(false);
    expect(await readFile(path.join(wt, "apps/web/src.ts"), "utf8")).toBe("s2\n");
    await manager.remove(repo, wt);
  });
});
