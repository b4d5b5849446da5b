import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, SourceError, ValidationError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { createGitRepo, type GitFixture } from "../../test/helpers/git-fixture.ts";
import { createRepoSources } from "./repo-source.ts";

let tmp: string;
let origin: GitFixture;
let feature: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "previewd-sources-"));
  origin = await createGitRepo(
    { "preview.yaml": "version: 1\n", "apps/api/package.json": "{}\n" },
    { parentDir: tmp },
  );
  feature = await origin.commit({ "preview.yaml": "version: 1\nname: feature\n" }, "feature", "feature/x");
  await origin.tag("v1");
});

afterAll(() => rm(tmp, { recursive: true, force: true }));

function sources(
  cacheDir = path.join(tmp, `cache-${Math.random().toString(36).slice(2)}`),
  logger = silentLogger,
) {
  return { cacheDir, sources: createRepoSources({ cacheDir, logger }) };
}

describe("a local repository", () => {
  it("is used in place, identified by its path", async () => {
    const repo = await sources().sources.resolve(origin.dir);
    expect(repo).toEqual({ gitDir: path.join(origin.dir, ".git"), canonical: origin.dir, isRemote: false });
    const relative = path.relative(process.cwd(), origin.dir);
    expect(await sources().sources.resolve(relative)).toEqual(repo);
  });

  it("shares its identity with its linked worktrees", async () => {
    const linked = path.join(tmp, "linked");
    await origin.git("worktree", "add", "-q", "--detach", linked);
    expect((await sources().sources.resolve(linked)).canonical).toBe(origin.dir);
    await origin.git("worktree", "remove", "--force", linked);
  });

  it("must exist and be a git repository (a 4xx)", async () => {
    const { sources: s } = sources();
    const missing = path.join(tmp, "nope");
    const error = await s.resolve(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors?.[0]?.path).toBe("repo");
    expect((error as ValidationError).message).toContain(`no git repository at ${JSON.stringify(missing)}`);

    const plain = path.join(tmp, "plain");
    await mkdir(plain);
    await expect(s.resolve(plain)).rejects.toThrow(/no git repository at .*plain.*not a git repository/);
  });

  it("is resolved again when its path became another repository, or none", async () => {
    const { sources: s } = sources();
    const place = path.join(tmp, "replaced");
    const own = await createGitRepo({ "a.txt": "a" }, { parentDir: tmp });
    await rm(place, { recursive: true, force: true });
    await rename(own.dir, place);
    expect(await s.resolve(place)).toMatchObject({ canonical: place, gitDir: path.join(place, ".git") });
    // Now a linked worktree of origin at the same path: origin's identity, not the kept one.
    await rm(place, { recursive: true, force: true });
    await origin.git("worktree", "add", "-q", "--detach", place);
    expect(await s.resolve(place)).toMatchObject({
      canonical: origin.dir,
      gitDir: path.join(origin.dir, ".git"),
    });
    await origin.git("worktree", "remove", "--force", place);
    // Now a plain folder.
    await mkdir(place);
    await expect(s.resolve(place)).rejects.toThrow(/not a git repository/);
  });

  it("refuses a subdirectory, pointing at repo and dir", async () => {
    await expect(sources().sources.resolve(path.join(origin.dir, "apps/api"))).rejects.toThrow(
      `pass that as repo and "apps/api" as dir`,
    );
  });

  it("refuses dangerous repo strings before running git", async () => {
    await expect(sources().sources.resolve("ext::sh -c touch% /tmp/pwned")).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe("resolveRef", () => {
  it("defaults to HEAD, reported as its branch", async () => {
    const { sources: s } = sources();
    const repo = await s.resolve(origin.dir);
    expect(await s.resolveRef(repo, undefined)).toEqual({ ref: "main", commit: origin.head });
  });

  it("resolves branches, tags and commits", async () => {
    const { sources: s } = sources();
    const repo = await s.resolve(origin.dir);
    expect(await s.resolveRef(repo, "feature/x")).toEqual({ ref: "feature/x", commit: feature });
    expect(await s.resolveRef(repo, "v1")).toEqual({ ref: "v1", commit: origin.head });
    expect(await s.resolveRef(repo, feature)).toEqual({ ref: feature, commit: feature });
  });

  it("reports a detached HEAD as its commit", async () => {
    const repo = await createGitRepo({ "a.txt": "1" }, { parentDir: tmp });
    await repo.git("checkout", "-q", "--detach");
    const { sources: s } = sources();
    expect(await s.resolveRef(await s.resolve(repo.dir), undefined)).toEqual({
      ref: repo.head,
      commit: repo.head,
    });
  });

  it("names an unknown ref in a NotFoundError", async () => {
    const { sources: s } = sources();
    const error = await s.resolveRef(await s.resolve(origin.dir), "no/such-branch").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe(`ref "no/such-branch" not found in ${origin.dir}`);
  });

  it("refuses refs that git would read as options", async () => {
    const { sources: s } = sources();
    const repo = await s.resolve(origin.dir);
    for (const ref of ["--upload-pack=touch /tmp/x", "-h", "a..b", "feature\r\nx"]) {
      await expect(s.resolveRef(repo, ref)).rejects.toBeInstanceOf(ValidationError);
    }
  });
});

describe("a repository URL", () => {
  it("is cloned once, however many environments ask at the same time", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const { cacheDir, sources: s } = sources(undefined, logger);
    const url = `file://${origin.dir}`;
    const repos = await Promise.all([s.resolve(url), s.resolve(url), s.resolve(`${url}/`), s.resolve(url)]);

    expect(new Set(repos.map((r) => r.gitDir)).size).toBe(1);
    expect(repos[0]).toMatchObject({ canonical: url, isRemote: true });
    expect(lines.filter((l) => l.includes("cloning repository"))).toHaveLength(1);
    expect(await readdir(cacheDir)).toEqual([path.basename(repos[0]!.gitDir)]);
    expect(path.basename(repos[0]!.gitDir)).toMatch(/^previewd-repo-[a-z0-9-]+-[0-9a-f]{12}$/);
    expect(await s.resolveRef(repos[0]!, "feature/x")).toEqual({ ref: "feature/x", commit: feature });
    expect(await s.resolveRef(repos[0]!, undefined)).toEqual({ ref: "main", commit: origin.head });
  });

  it("is fetched again on later use, picking up new commits", async () => {
    const { sources: s } = sources();
    const url = `file://${origin.dir}`;
    await s.resolve(url);
    const next = await origin.commit({ "b.txt": "new" }, "later", "feature/y");
    const repo = await s.resolve(url);
    expect(await s.resolveRef(repo, "feature/y")).toEqual({ ref: "feature/y", commit: next });
  });

  it("fails a clone with git's reason and leaves nothing behind", async () => {
    const { cacheDir, sources: s } = sources();
    const error = await s.resolve(`file://${tmp}/missing.git`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toMatch(
      /^git clone failed: fatal: .*does not appear to be a git repository/,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });
});

describe("readFile", () => {
  it("reads a file as of a commit without checking anything out", async () => {
    for (const repoArg of [origin.dir, `file://${origin.dir}`]) {
      const { sources: s } = sources();
      const repo = await s.resolve(repoArg);
      expect(await s.readFile(repo, origin.head, "preview.yaml")).toBe("version: 1\n");
      expect(await s.readFile(repo, feature, "./preview.yaml")).toBe("version: 1\nname: feature\n");
      expect(await s.readFile(repo, origin.head, "apps/api/package.json")).toBe("{}\n");
    }
  });

  it("answers undefined for a missing file or a directory", async () => {
    const { sources: s } = sources();
    const repo = await s.resolve(origin.dir);
    expect(await s.readFile(repo, origin.head, "apps/web/preview.yaml")).toBeUndefined();
    expect(await s.readFile(repo, origin.head, "apps/api")).toBeUndefined();
  });

  it("takes only full commits and paths inside the repo", async () => {
    const { sources: s } = sources();
    const repo = await s.resolve(origin.dir);
    await expect(s.readFile(repo, "HEAD", "preview.yaml")).rejects.toBeInstanceOf(ValidationError);
    await expect(s.readFile(repo, origin.head, "../etc/passwd")).rejects.toBeInstanceOf(ValidationError);
  });
});
