/**
 * Both answers to "where does this path lead": the commit's git tree (before a checkout) and the
 * checkout on disk (realpath). The same committed symlinks must get the same verdicts.
 */
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitFixture } from "../../test/helpers/git-fixture.ts";
import { directoryPaths, type MonorepoPaths } from "../manifest/monorepo-paths.ts";
import { commitPaths } from "./commit-paths.ts";

let repo: GitFixture;
let host: string;
let commit: string;

beforeAll(async () => {
  host = await mkdtemp(path.join(os.tmpdir(), "previewd-host-"));
  await writeFile(path.join(host, "secret.txt"), "host secret\n");
  repo = await createGitRepo({
    "shop/preview.yaml": "version: 1\n",
    "shop/apps/api/server.js": "// api\n",
    "shop/packages/shared/index.js": "// shared\n",
    "shop/sql/base.sql": "select 1;\n",
    "outside-the-shop.txt": "repo, not monorepo\n",
  });
  const link = async (target: string, at: string) => {
    await symlink(target, path.join(repo.dir, at));
    await repo.git("add", "--", at);
  };
  await link("../../packages/shared", "shop/apps/api/shared"); // stays inside
  await link("base.sql", "shop/sql/alias.sql"); // stays inside
  await link(host, "shop/apps/host"); // absolute, outside
  await link(path.join(host, "secret.txt"), "shop/sql/secret.sql");
  await link("../../outside-the-shop.txt", "shop/sql/repo-file.sql"); // in the repository, not the monorepo
  await link("../../../../../../../../../etc", "shop/apps/etc"); // climbs out
  await link("loop-b", "shop/loop-a");
  await link("loop-a", "shop/loop-b");
  await link("shop", "shop-link"); // the monorepo root named through a link
  commit = await repo.commit({}, "links");
});

afterAll(async () => {
  await repo.remove();
  await rm(host, { recursive: true, force: true });
});

const sources: Array<[string, () => MonorepoPaths]> = [
  ["a commit's tree", () => commitPaths(path.join(repo.dir, ".git"), commit, "shop")],
  [
    "a commit's tree, its root named through a link",
    () => commitPaths(path.join(repo.dir, ".git"), commit, "shop-link"),
  ],
  ["a checkout on disk", () => directoryPaths(path.join(repo.dir, "shop"))],
];

describe.each(sources)("MonorepoPaths of %s", (_, paths) => {
  it.each([
    ["apps/api/server.js", "apps/api/server.js"],
    ["apps/api/shared/index.js", "packages/shared/index.js"],
    ["apps/api/shared", "packages/shared"],
    ["sql/alias.sql", "sql/base.sql"],
    ["sql/missing.sql", "sql/missing.sql"],
    ["apps/api/shared/missing/deeper.js", "packages/shared/missing/deeper.js"],
    [".", "."],
  ])("follows %s inside the monorepo to %s", async (file, leads) => {
    expect(await paths().resolve(file)).toEqual({ inside: true, path: leads });
  });

  it.each([
    ["apps/host", /^resolves outside the monorepo \(.*previewd-host-/],
    ["apps/host/secret.txt", /^resolves outside the monorepo \(.*previewd-host-/],
    ["sql/secret.sql", /^resolves outside the monorepo \(.*secret\.txt\)$/],
    ["sql/repo-file.sql", /^resolves outside the monorepo \(.*outside-the-shop\.txt/],
    ["apps/etc/passwd", /^resolves outside the monorepo \(/],
    ["loop-a", /^is a symlink loop \(loop-a\)$/],
  ])("refuses %s", async (file, message) => {
    const resolution = await paths().resolve(file);
    expect(resolution.inside).toBe(false);
    expect(!resolution.inside && resolution.message).toMatch(message);
  });
});

describe("commitPaths", () => {
  it("names the link and its target", async () => {
    const paths = commitPaths(path.join(repo.dir, ".git"), commit, "shop");
    expect(await paths.resolve("sql/secret.sql")).toEqual({
      inside: false,
      message: `resolves outside the monorepo (symlink shop/sql/secret.sql -> ${path.join(host, "secret.txt")})`,
    });
    expect(await paths.resolve("sql/repo-file.sql")).toEqual({
      inside: false,
      message:
        "resolves outside the monorepo (symlink shop/sql/repo-file.sql -> ../../outside-the-shop.txt leads to outside-the-shop.txt)",
    });
  });

  it("reads the commit, not the working tree", async () => {
    await symlink("/etc", path.join(repo.dir, "shop/apps/uncommitted"));
    const paths = commitPaths(path.join(repo.dir, ".git"), commit, "shop");
    expect(await paths.resolve("apps/uncommitted/passwd")).toEqual({
      inside: true,
      path: "apps/uncommitted/passwd",
    });
  });

  it("walks the whole repository when it is the monorepo", async () => {
    const paths = commitPaths(path.join(repo.dir, ".git"), commit);
    expect(await paths.resolve("shop/apps/api/shared/index.js")).toEqual({
      inside: true,
      path: "shop/packages/shared/index.js",
    });
    expect(await paths.resolve("shop/sql/repo-file.sql")).toEqual({
      inside: true,
      path: "outside-the-shop.txt",
    });
    expect((await paths.resolve("shop/apps/etc/passwd")).inside).toBe(false);
    expect((await paths.resolve("shop/sql/secret.sql")).inside).toBe(false);
  });

  it("takes pathspec-like names literally", async () => {
    const paths = commitPaths(path.join(repo.dir, ".git"), commit, "shop");
    expect(await paths.resolve(":(glob)**/secret.sql")).toEqual({
      inside: true,
      path: ":(glob)**/secret.sql",
    });
  });
});
