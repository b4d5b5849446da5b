/**
 * One `git cat-file --batch` per repository, kept between reads: every answer must be the one a
 * new git process would give, whatever happened to the repository since the process started.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, utimesSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, SourceError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { createGitRepo, type GitFixture } from "../../test/helpers/git-fixture.ts";
import { closeObjectReaders, objectReader } from "./object-reader.ts";
import { createRepoSources } from "./repo-source.ts";

let repo: GitFixture;
let gitDir: string;
let first: string;
const sources = createRepoSources({ cacheDir: "/nonexistent", logger: silentLogger });

beforeAll(async () => {
  repo = await createGitRepo({ "preview.yaml": "version: 1\n", "apps/api/server.js": "// api\n" });
  gitDir = path.join(repo.dir, ".git");
  first = repo.head;
});

afterEach(() => closeObjectReaders());
afterAll(() => repo.remove());

/** The cat-file processes running on `dir`, found in /proc (pids). */
function catFiles(dir: string): string[] {
  return readdirSync("/proc").filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return args.includes("cat-file") && args.includes(`--git-dir=${dir}`);
    } catch {
      return false;
    }
  });
}

describe("a repository's object reader", () => {
  it("reads files of different commits, and a missing one, through one process", async () => {
    const resolved = await sources.resolve(repo.dir);
    const second = await repo.commit({ "preview.yaml": "version: 1\nname: second\n" }, "second");
    expect(await sources.readFile(resolved, first, "preview.yaml")).toBe("version: 1\n");
    expect(await sources.readFile(resolved, second, "preview.yaml")).toBe("version: 1\nname: second\n");
    expect(await sources.readFile(resolved, second, "apps/web/preview.yaml")).toBeUndefined();
    expect(await sources.readFile(resolved, first, "apps/api")).toBeUndefined();
    expect(await sources.readFile(resolved, first, "apps/api/server.js")).toBe("// api\n");
    expect(catFiles(gitDir)).toHaveLength(1);
  });

  it("answers requests made at once in order, large content and binary trees byte for byte", async () => {
    const big = Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join("");
    const commit = await repo.commit({ "big.txt": big, "small.txt": "small\n" }, "big");
    const reader = objectReader(gitDir);
    const [a, missing, b, tree] = await Promise.all([
      reader.read(`${commit}:big.txt`),
      reader.read(`${commit}:nothing`),
      reader.read(`${commit}:small.txt`),
      reader.read(`${commit}^{tree}`),
    ]);
    expect(a?.data.toString("utf8")).toBe(big);
    expect(missing).toBeUndefined();
    expect(b).toMatchObject({
      type: "blob",
      oid: (await repo.git("rev-parse", `${commit}:small.txt`)).trim(),
    });
    expect(b?.data.toString("utf8")).toBe("small\n");
    expect(tree?.type).toBe("tree");
    expect(tree?.data).toEqual(rawObject(repo, `${commit}^{tree}`));
  });

  it("sees a branch that moved, loose or packed, and objects written since it started", async () => {
    const resolved = await sources.resolve(repo.dir);
    const at = async () => (await sources.resolveRef(resolved, "moving")).commit;
    const one = await repo.commit({ "moving.txt": "1\n" }, "one", "moving");
    expect(await at()).toBe(one);
    const [pid] = catFiles(gitDir);
    const two = await repo.commit({ "moving.txt": "2\n" }, "two", "moving");
    expect(await at()).toBe(two);
    await repo.git("pack-refs", "--all");
    expect(await at()).toBe(two);
    const three = await repo.commit({ "moving.txt": "3\n" }, "three", "moving");
    await repo.git("pack-refs", "--all");
    expect(await at()).toBe(three);
    await repo.git("repack", "-a", "-d", "-q");
    await repo.git("prune-packed");
    expect(await sources.readFile(resolved, three, "moving.txt")).toBe("3\n");
    // The new commit only in a new pack, the pack the process had open deleted.
    const four = await repo.commit({ "moving.txt": "4\n" }, "four", "moving");
    await repo.git("repack", "-a", "-d", "-q");
    await repo.git("prune-packed");
    expect(await at()).toBe(four);
    expect(await sources.readFile(resolved, four, "moving.txt")).toBe("4\n");
    await repo.git("branch", "-D", "moving");
    await expect(sources.resolveRef(resolved, "moving")).rejects.toBeInstanceOf(NotFoundError);
    expect(catFiles(gitDir)).toEqual([pid]);
  });

  it("sees packed-refs rewritten within one second at the same size, whatever core.checkStat says", async () => {
    const resolved = await sources.resolve(repo.dir);
    const one = await repo.commit({ "packed.txt": "1\n" }, "one", "packed");
    const two = await repo.commit({ "packed.txt": "2\n" }, "two", "packed");
    await repo.git("update-ref", "refs/heads/packed", one);
    await repo.git("pack-refs", "--all");
    await repo.git("config", "core.checkStat", "minimal");
    try {
      expect((await sources.resolveRef(resolved, "packed")).commit).toBe(one);
      const packedRefs = path.join(gitDir, "packed-refs");
      const before = statSync(packedRefs);
      await repo.git("update-ref", "refs/heads/packed", two);
      await repo.git("pack-refs", "--all");
      // What a rewrite in the same second looks like to a stat that compares seconds and size.
      utimesSync(packedRefs, before.atime, before.mtime);
      expect(statSync(packedRefs).size).toBe(before.size);
      expect((await sources.resolveRef(resolved, "packed")).commit).toBe(two);
    } finally {
      await repo.git("config", "--unset", "core.checkStat");
    }
  });

  it("starts a new process when its own has gone", async () => {
    const reader = objectReader(gitDir);
    expect((await reader.read(`${first}:preview.yaml`))?.type).toBe("blob");
    await closeObjectReaders();
    expect(catFiles(gitDir)).toEqual([]);
    expect((await reader.read(`${first}:preview.yaml`))?.type).toBe("blob");
    expect(catFiles(gitDir)).toHaveLength(1);
  });

  it("refuses a name that would be two requests, and fails when there is no repository", async () => {
    await expect(objectReader(gitDir).read(`${first}:a\n${first}:b`)).rejects.toBeInstanceOf(SourceError);
    const error = await objectReader(path.join(repo.dir, "no-such.git"))
      .read(`${first}:preview.yaml`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toMatch(/^git cat-file failed: fatal: not a git repository/);
  });
});

function rawObject(fixture: GitFixture, name: string): Buffer {
  return execFileSync("git", ["-C", fixture.dir, "cat-file", "tree", name]);
}
