import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { readlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CacheBudget } from "./cache-budget.ts";
import { fileStamps, SharedOutputs, sparesDir, untrackedEntries, untrackedStamps } from "./shared-outputs.ts";

function tree(files: Record<string, string>, tracked: string[] = []): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-outputs-"));
  execFileSync("git", ["init", "-q", dir]);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  if (tracked.length > 0) execFileSync("git", ["-C", dir, "add", "--", ...tracked]);
  return dir;
}

describe("untrackedEntries", () => {
  it("lists untracked and ignored paths, whole untracked directories as one entry", async () => {
    const dir = tree(
      {
        ".gitignore": "dist/\n",
        "apps/web/src.ts": "x",
        "apps/web/dist/a.js": "a",
        "apps/web/dist/b.js": "b",
        "node_modules/p/index.js": "p",
        "notes.txt": "n",
      },
      [".gitignore", "apps/web/src.ts"],
    );
    expect((await untrackedEntries(dir)).sort()).toEqual(["apps/web/dist", "node_modules", "notes.txt"]);
  });
});

/** The tree's index, as `git ls-files -s -z` lists it. */
function indexOf(dir: string): string[] {
  return execFileSync("git", ["-C", dir, "ls-files", "-s", "-z"], { encoding: "utf8" })
    .split("\0")
    .filter(Boolean);
}

describe("untrackedStamps", () => {
  it("finds what fileStamps of untrackedEntries finds, from the index instead of a git process", async () => {
    const dir = tree(
      {
        ".gitignore": "dist/\n",
        "package.json": "{}",
        "apps/web/src/a.ts": "a",
        "apps/web/src/deep/b.ts": "b",
        "apps/web/src/deep/new.ts": "untracked beside tracked files",
        "apps/web/dist/a.js": "a",
        "apps/web/dist/sub/b.js": "b",
        "apps/web/tsconfig.tsbuildinfo": "{}",
        "apps/web/empty/.keep": "",
        "apps/api/src/a.ts": "a",
        "apps/api/dist/a.js": "another app's output",
        "apps/api/web/src/x.ts": "an app inside another's folder",
        "apps/api/web/dist/x.js": "its output",
        "packages/shared/src/i.ts": "i",
        "packages/shared/assets": "a tracked file a build turns into a folder, which git does not list",
        "packages/shared/dist/i.js": "a shared output",
        "packages/fresh/dist/f.js": "a folder with nothing tracked",
        "node_modules/p/index.js": "p",
        "apps/web/node_modules/q/index.js": "q",
        "nested/.git/HEAD": "a repository inside",
        "nested/file": "n",
        "name with spaces and é.txt": "s",
      },
      [
        ".gitignore",
        "package.json",
        "apps/web/src/a.ts",
        "apps/web/src/deep/b.ts",
        "apps/api/src/a.ts",
        "apps/api/web/src/x.ts",
        "packages/shared/src/i.ts",
        "packages/shared/assets",
      ],
    );
    // A submodule's gitlink: its folder is one tracked entry, nothing in it is listed.
    const sub = path.join(dir, "libs/sub");
    mkdirSync(sub, { recursive: true });
    execFileSync("git", ["init", "-q", sub]);
    writeFileSync(path.join(sub, "s.txt"), "s");
    execFileSync("git", ["-C", sub, "-c", "user.name=t", "-c", "user.email=t@t", "add", "."]);
    execFileSync("git", ["-C", sub, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "s"]);
    execFileSync("git", ["-C", dir, "-c", "advice.addEmbeddedRepo=false", "add", "libs/sub"]);
    writeFileSync(path.join(sub, "built.txt"), "untracked in the submodule");
    rmSync(path.join(dir, "packages/shared/assets"));
    mkdirSync(path.join(dir, "packages/shared/assets"));
    writeFileSync(path.join(dir, "packages/shared/assets/logo.svg"), "<svg/>");
    // A repository a build made inside a tracked folder: git leaves its `.git` out.
    mkdirSync(path.join(dir, "apps/web/src/.git"));
    writeFileSync(path.join(dir, "apps/web/src/.git/HEAD"), "ref: refs/heads/main");
    rmSync(path.join(dir, "apps/web/empty/.keep"));
    symlinkSync("../src/a.ts", path.join(dir, "apps/web/dist/link.js"));
    symlinkSync("src", path.join(dir, "apps/web/linked-folder"));
    const index = indexOf(dir);
    // Skips as the build step does: another app's folder (not the app inside it), node_modules.
    const skips = [
      () => false,
      (p: string) => p.split("/").includes("node_modules"),
      (p: string) =>
        (p.startsWith("apps/api") && !p.startsWith("apps/api/web")) || p.split("/").includes("node_modules"),
    ];
    // The app inside another's folder: its folder lies below `apps` and `apps/api`.
    const holdsKept = (folder: string) => "apps/api/web".startsWith(`${folder}/`);
    for (const skip of skips) {
      const byGit = await fileStamps(dir, await untrackedEntries(dir), skip);
      const byIndex = await untrackedStamps(dir, index, skip, holdsKept);
      expect([...byIndex].sort()).toEqual([...byGit].sort());
      expect(byIndex.size).toBeGreaterThan(3);
    }
    expect([...(await untrackedStamps(dir, index, skips[2]!, holdsKept)).keys()].sort()).toEqual([
      "apps/api/web/dist/x.js",
      "apps/web/dist/a.js",
      "apps/web/dist/link.js",
      "apps/web/dist/sub/b.js",
      "apps/web/linked-folder",
      "apps/web/src/deep/new.ts",
      "apps/web/tsconfig.tsbuildinfo",
      "name with spaces and é.txt",
      "nested/.git/HEAD",
      "nested/file",
      "packages/fresh/dist/f.js",
      "packages/shared/dist/i.js",
    ]);
    // Without holdsKept, another app's folder is not walked, the app inside it with it.
    expect([...(await untrackedStamps(dir, index, skips[2]!)).keys()]).not.toContain(
      "apps/api/web/dist/x.js",
    );
  });

  it("fails rather than leave out a folder it cannot read; one gone since is nothing, as for git", async () => {
    const dir = tree({ "apps/web/src/a.ts": "a" }, ["apps/web/src/a.ts"]);
    const index = indexOf(dir);
    rmSync(path.join(dir, "apps/web/src"), { recursive: true });
    writeFileSync(path.join(dir, "apps/web/dist.js"), "d");
    // Gone since it was listed: as git, nothing.
    expect([...(await untrackedStamps(dir, index, () => false)).keys()]).toEqual(["apps/web/dist.js"]);
    // Unreadable: an error, never a listing without the folder's files.
    await expect(untrackedStamps(path.join(dir, "missing-root"), index, () => false)).resolves.toEqual(
      new Map(),
    );
    writeFileSync(path.join(dir, "file-root"), "");
    await expect(untrackedStamps(path.join(dir, "file-root"), index, () => false)).rejects.toThrow(/ENOTDIR/);
  });
});

describe("SharedOutputs", () => {
  it("stores an entry only if what it copies is still as the step left it", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    const from = tree({ "apps/web/dist/a.js": "a v1", "apps/web/dist/b.js": "b v1" });
    const paths = ["apps/web/dist/a.js", "apps/web/dist/b.js"];
    const built = await fileStamps(from, paths, () => false);
    // The app, started meanwhile, rewrote a.js: the copy may hold either, so nothing is stored.
    writeFileSync(path.join(from, "apps/web/dist/a.js"), "a, written by the running app");
    await expect(shared.save("changed", from, paths, built)).rejects.toThrow(
      /apps\/web\/dist\/a\.js changed/,
    );
    expect(readdirSync(cache)).toEqual([]);
    await shared.save("same", from, paths, await fileStamps(from, paths, () => false));
    expect(readFileSync(path.join(cache, "same/apps/web/dist/a.js"), "utf8")).toBe(
      "a, written by the running app",
    );
  });

  it("seeds a tree with copies, never links, and with keepExisting leaves what the tree has", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    const from = tree({ "apps/web/dist/a.js": "a v1", "packages/lib/dist/l.js": "lib v1" });
    await shared.save("k", from, ["apps/web/dist/a.js", "packages/lib/dist/l.js"]);
    const into = tree({ "packages/lib/dist/l.js": "lib v2, built here" });
    expect(await shared.restore("k", into, undefined, { keepExisting: true })).toBe(true);
    expect(readFileSync(path.join(into, "packages/lib/dist/l.js"), "utf8")).toBe("lib v2, built here");
    // What one environment's build writes into a seeded file, no other tree and no entry sees.
    writeFileSync(path.join(into, "apps/web/dist/a.js"), "a v2");
    expect(readFileSync(path.join(cache, "k/apps/web/dist/a.js"), "utf8")).toBe("a v1");
    expect(readFileSync(path.join(from, "apps/web/dist/a.js"), "utf8")).toBe("a v1");
  });

  it("restamps a copy with the time of the copy, so it is newer than the tree's files; a seed keeps its build's", async () => {
    const shared = new SharedOutputs(mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-")));
    const from = tree({ "apps/web/dist/a.js": "a" });
    utimesSync(path.join(from, "apps/web/dist/a.js"), new Date(2020, 0, 1), new Date(2020, 0, 1));
    await shared.save("k", from, ["apps/web/dist/a.js"]);
    const checkedOut = Date.now() - 1;
    const copy = tree({});
    await shared.restore("k", copy, undefined, { restamp: true });
    expect(statSync(path.join(copy, "apps/web/dist/a.js")).mtimeMs).toBeGreaterThanOrEqual(checkedOut);
    const seed = tree({});
    await shared.restore("k", seed, undefined, { keepExisting: true });
    expect(statSync(path.join(seed, "apps/web/dist/a.js")).mtime.getFullYear()).toBe(2020);
  });

  it("never copies through a symlink the tree already has: a committed link out of the tree", async () => {
    const shared = new SharedOutputs(mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-")));
    const from = tree({ "node_modules/p/index.js": "p" });
    await shared.save("k", from, ["node_modules"]);
    // `cp` writes through a file link at the destination: a host file would get the entry's content.
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), "previewd-outside-")), "host-file");
    writeFileSync(outside, "host");
    const to = tree({ "package.json": "{}" });
    mkdirSync(path.join(to, "node_modules", "p"), { recursive: true });
    symlinkSync(outside, path.join(to, "node_modules", "p", "index.js"));
    expect(await shared.restore("k", to)).toBe(false);
    expect(readFileSync(outside, "utf8")).toBe("host");
  });

  it("a copy one side of which fails ends, and says which: nothing waits on a full pipe", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    // More than a pipe holds: a reader whose writer is gone would block on it for good.
    const from = tree({ "dist/big.bin": "x".repeat(1024 * 1024) });
    await expect(shared.save("k", path.join(from, "missing"), ["dist"])).rejects.toThrow(
      /could not read from/,
    );
    await shared.save("k", from, ["dist"]);
    expect(await shared.restore("k", path.join(from, "no", "such", "tree"))).toBe(false);
    expect(await shared.restore("k", tree({}))).toBe(true);
  });

  it("stores paths with their directories and symlinks, and restores them into another tree", async () => {
    const from = tree({ "node_modules/p/index.js": "p", "apps/web/dist/a.js": "a" });
    symlinkSync("../apps/web", path.join(from, "node_modules/web"));
    const shared = new SharedOutputs(mkdtempSync(path.join(os.tmpdir(), "previewd-shared-")));
    await shared.save("k", from, ["node_modules", "apps/web/dist"]);
    const to = tree({ "apps/web/src.ts": "x" });
    expect(await shared.restore("k", to)).toBe(true);
    expect(readFileSync(path.join(to, "node_modules/p/index.js"), "utf8")).toBe("p");
    expect(readFileSync(path.join(to, "apps/web/dist/a.js"), "utf8")).toBe("a");
    expect(readFileSync(path.join(to, "apps/web/src.ts"), "utf8")).toBe("x");
    expect(await readlink(path.join(to, "node_modules/web"))).toBe("../apps/web");
    expect(await shared.restore("missing", to)).toBe(false);
  });

  it("keeps a spare of an install, made once asked; the next restore moves it in, and no two trees share a file", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(cache);
    const from = tree({ "node_modules/p/index.js": "p", "apps/web/node_modules/q/index.js": "q" });
    utimesSync(path.join(from, "node_modules/p/index.js"), 1_000, 1_000);
    await shared.save("k", from, ["node_modules", "apps/web/node_modules"]);
    const spare = path.join(cache, ".spares", "k@self");
    const first = tree({ "apps/web/src.ts": "x" });
    expect(await shared.restore("k", first, undefined, { spare: true })).toBe(true);
    expect(lstatSync(spare, { throwIfNoEntry: false })).toBeUndefined(); // Not before it is asked for.
    shared.fillSpares();
    await shared.settled();
    expect(readFileSync(path.join(spare, "node_modules/p/index.js"), "utf8")).toBe("p");

    const second = tree({ "apps/web/src.ts": "y" });
    expect(await shared.restore("k", second, undefined, { spare: true })).toBe(true);
    expect(lstatSync(spare, { throwIfNoEntry: false })).toBeUndefined(); // Moved in, not copied.
    expect(readFileSync(path.join(second, "node_modules/p/index.js"), "utf8")).toBe("p");
    expect(readFileSync(path.join(second, "apps/web/node_modules/q/index.js"), "utf8")).toBe("q");
    expect(readFileSync(path.join(second, "apps/web/src.ts"), "utf8")).toBe("y");
    expect(statSync(path.join(second, "node_modules/p/index.js")).mtimeMs).toBe(1_000_000);
    writeFileSync(path.join(second, "node_modules/p/index.js"), "changed in second");
    for (const dir of [first, path.join(cache, "k")])
      expect(readFileSync(path.join(dir, "node_modules/p/index.js"), "utf8"), dir).toBe("p");

    // The next restore, before another spare is made, copies; that spare is then made.
    const third = tree({});
    expect(await shared.restore("k", third, undefined, { spare: true })).toBe(true);
    expect(readFileSync(path.join(third, "node_modules/p/index.js"), "utf8")).toBe("p");
    shared.fillSpares();
    await shared.settled();
    expect(readFileSync(path.join(spare, "node_modules/p/index.js"), "utf8")).toBe("p");
    expect(readdirSync(path.join(cache, ".spares"))).toEqual(["k@self"]); // No temporary left.
  });

  it("keeps a spare of an entry asked for as it is saved: its first restore moves it in", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(cache);
    const from = tree({ "apps/web/dist/a.js": "built" });
    await shared.save("build-new", from, ["apps/web/dist"]);
    shared.wantSpare("build-new");
    shared.fillSpares();
    await shared.settled();
    const spare = path.join(cache, ".spares", "build-new@self");
    expect(readFileSync(path.join(spare, "apps/web/dist/a.js"), "utf8")).toBe("built");

    const seeded = tree({ "apps/web/src.ts": "x" });
    expect(await shared.restore("build-new", seeded, undefined, { keepExisting: true, spare: true })).toBe(
      true,
    );
    expect(lstatSync(spare, { throwIfNoEntry: false })).toBeUndefined(); // Moved in, not copied.
    expect(readFileSync(path.join(seeded, "apps/web/dist/a.js"), "utf8")).toBe("built");
    writeFileSync(path.join(seeded, "apps/web/dist/a.js"), "rebuilt");
    expect(readFileSync(path.join(cache, "build-new", "apps/web/dist/a.js"), "utf8")).toBe("built");
  });

  // tmpfs beside the temporary folder's file system, as a cache on another disk than the worktrees.
  const apart = statSync("/dev/shm", { throwIfNoEntry: false })?.dev !== statSync(os.tmpdir()).dev;
  it.runIf(apart && lstatSync("/dev/shm", { throwIfNoEntry: false }))(
    "copies, and keeps no spares, when its worktrees are on another file system",
    async () => {
      const cache = mkdtempSync(path.join("/dev/shm", "previewd-shared-"));
      try {
        const shared = new SharedOutputs(cache);
        await shared.save("k", tree({ "node_modules/p.js": "p" }), ["node_modules"]);
        for (let round = 0; round < 3; round++) {
          const into = tree({});
          expect(await shared.restore("k", into, undefined, { spare: true })).toBe(true);
          expect(readFileSync(path.join(into, "node_modules/p.js"), "utf8")).toBe("p");
          shared.fillSpares();
          await shared.settled();
        }
        // One spare was made before a move across file systems failed; none after it.
        expect(readdirSync(path.join(cache, ".spares"))).toEqual([]);
      } finally {
        execFileSync("rm", ["-rf", cache]);
      }
    },
  );

  it("stops making spares when asked (previewd closing), leaving no half-made one", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(cache);
    const files = Object.fromEntries(
      Array.from({ length: 200 }, (_, i) => [`node_modules/p/${i}.js`, "x".repeat(4096)]),
    );
    await shared.save("k", tree(files), ["node_modules"]);
    expect(await shared.restore("k", tree({}), undefined, { spare: true })).toBe(true);
    shared.fillSpares();
    await shared.stopSpares();
    expect(readdirSync(path.join(cache, ".spares"))).toEqual([]); // Stopped before its copy: none.
    // Stopped for good: asking again makes none.
    expect(await shared.restore("k", tree({}), undefined, { spare: true })).toBe(true);
    shared.fillSpares();
    await shared.settled();
    expect(readdirSync(path.join(cache, ".spares"))).toEqual([]);
  });

  it("keeps two spares at most, and none of an entry that is gone", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(cache, 2);
    for (const key of ["a", "b", "c"]) {
      await shared.save(key, tree({ [`node_modules/${key}.js`]: key }), ["node_modules"]);
      expect(await shared.restore(key, tree({}), undefined, { spare: true })).toBe(true);
      shared.fillSpares();
      await shared.settled();
    }
    // Two entries kept (the limit): "a" was evicted with its spare; "b" and "c" keep theirs.
    expect(
      readdirSync(cache)
        .filter((name) => !name.startsWith("."))
        .sort(),
    ).toEqual(["b", "c"]);
    expect(readdirSync(path.join(cache, ".spares")).sort()).toEqual(["b@self", "c@self"]);
  });

  it("keeps spares of a few builds beside those of two installs", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(cache);
    for (const key of ["install-a", "install-b", "install-c", "build-x", "build-y", "build-z"]) {
      await shared.save(key, tree({ [`out/${key}.js`]: key }), ["out"]);
      expect(await shared.restore(key, tree({}), undefined, { spare: true })).toBe(true);
      shared.fillSpares();
      await shared.settled();
    }
    expect(readdirSync(path.join(cache, ".spares")).sort()).toEqual([
      "build-x@self",
      "build-y@self",
      "build-z@self",
      "install-b@self",
      "install-c@self",
    ]);
  });

  it("moves a build's spare in with the time of now, and a seed's around what the tree has, with its build's times", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(cache);
    const files = ["apps/web/dist/a.js", "packages/lib/dist/l.js"];
    const from = tree({ "apps/web/dist/a.js": "a", "packages/lib/dist/l.js": "lib v1" });
    for (const file of files) utimesSync(path.join(from, file), new Date(2020, 0, 1), new Date(2020, 0, 1));
    await shared.save("build-k", from, files);
    const spare = path.join(cache, ".spares", "build-k@self");
    const spareMade = async () => {
      shared.fillSpares();
      await shared.settled();
      expect(lstatSync(spare, { throwIfNoEntry: false })?.isDirectory()).toBe(true);
    };
    expect(await shared.restore("build-k", tree({}), undefined, { restamp: true, spare: true })).toBe(true);
    await spareMade();

    const checkedOut = Date.now() - 1;
    const copy = tree({ "apps/web/src.ts": "x" });
    expect(await shared.restore("build-k", copy, undefined, { restamp: true, spare: true })).toBe(true);
    expect(lstatSync(spare, { throwIfNoEntry: false })).toBeUndefined(); // Moved in, not copied.
    for (const file of files)
      expect(statSync(path.join(copy, file)).mtimeMs).toBeGreaterThanOrEqual(checkedOut);
    expect(readFileSync(path.join(copy, "apps/web/src.ts"), "utf8")).toBe("x");
    await spareMade();

    const seed = tree({ "packages/lib/dist/l.js": "lib v2, built here" });
    expect(await shared.restore("build-k", seed, undefined, { keepExisting: true, spare: true })).toBe(true);
    expect(lstatSync(spare, { throwIfNoEntry: false })).toBeUndefined();
    expect(readFileSync(path.join(seed, "packages/lib/dist/l.js"), "utf8")).toBe("lib v2, built here");
    expect(readFileSync(path.join(seed, "apps/web/dist/a.js"), "utf8")).toBe("a");
    expect(statSync(path.join(seed, "apps/web/dist/a.js")).mtime.getFullYear()).toBe(2020);
    expect(readFileSync(path.join(cache, "build-k/packages/lib/dist/l.js"), "utf8")).toBe("lib v1");
  });

  it("says whether an entry holds nothing but node_modules folders", async () => {
    const shared = new SharedOutputs(mkdtempSync(path.join(os.tmpdir(), "previewd-shared-")));
    const from = tree({
      "node_modules/p/index.js": "p",
      "apps/api/node_modules/q/index.js": "q",
      "generated.txt": "g",
    });
    await shared.save("modules", from, ["node_modules", "apps/api/node_modules"]);
    await shared.save("more", from, ["node_modules", "generated.txt"]);
    expect(await shared.holdsOnly("modules", "node_modules")).toBe(true);
    expect(await shared.holdsOnly("more", "node_modules")).toBe(false);
    expect(await shared.holdsOnly("missing", "node_modules")).toBe(false);
  });

  it("keeps the first of two concurrent saves of one key, whole, and leaves no temporary entry", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(dir);
    const trees = Array.from({ length: 6 }, (_, i) =>
      tree({ [`dist/${i}.js`]: `${i}`, "dist/same.js": `${i}` }),
    );
    await Promise.all(trees.map((t) => shared.save("k", t, ["dist"])));
    expect(readdirSync(dir)).toEqual(["k"]);
    const files = readdirSync(path.join(dir, "k/dist")).sort();
    expect(files).toHaveLength(2);
    const winner = files.find((f) => f !== "same.js")!.replace(".js", "");
    expect(readFileSync(path.join(dir, "k/dist/same.js"), "utf8")).toBe(winner);
  });

  it("removes the least recently used entries beyond its limit", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(dir, 2);
    const from = tree({ "dist/a.js": "a" });
    await shared.save("old", from, ["dist"]);
    await shared.save("used", from, ["dist"]);
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, "old"), past, past);
    utimesSync(path.join(dir, "used"), past, past);
    expect(await shared.restore("used", tree({}))).toBe(true); // Marks it recently used.
    await shared.save("new", from, ["dist"]);
    expect(readdirSync(dir).sort()).toEqual(["new", "used"]);
  });

  it("with upkeepLater, leaves the entries past its limit to the next fillSpares()", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const shared = new SharedOutputs(dir, 1);
    const from = tree({ "dist/a.js": "a" });
    await shared.save("old", from, ["dist"]);
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, "old"), past, past);
    await shared.save("new", from, ["dist"], undefined, { upkeepLater: true });
    expect(readdirSync(dir).sort()).toEqual(["new", "old"]); // Nothing evicted beside the app's start.
    shared.fillSpares();
    await shared.settled();
    expect(readdirSync(dir).sort()).toEqual(["new"]);
  });

  it("counts its spares in the size cap: past it, the least recently used entry goes, and its spare with it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const budget = new CacheBudget([dir, sparesDir(dir)], 700 * 1024);
    const shared = new SharedOutputs(dir, 48, budget);
    const big = (name: string) => tree({ [`dist/${name}.bin`]: "x".repeat(300 * 1024) });
    await shared.save("a", big("a"), ["dist"]);
    expect(await shared.restore("a", tree({}), undefined, { spare: true })).toBe(true);
    shared.fillSpares();
    await shared.settled();
    expect(readdirSync(sparesDir(dir))).toEqual(["a@self"]); // 600 KiB in all: within the cap.
    const past = (seconds: number) => new Date(Date.now() - seconds * 1000);
    utimesSync(path.join(dir, "a"), past(120), past(120));
    utimesSync(path.join(sparesDir(dir), "a@self"), past(60), past(60));
    // 900 KiB with b's entry: the oldest, a's entry, goes; its spare goes with it.
    await shared.save("b", big("b"), ["dist"]);
    expect(readdirSync(dir).filter((name) => !name.startsWith("."))).toEqual(["b"]);
    expect(readdirSync(sparesDir(dir))).toEqual([]);
  });

  it("keeps under a size cap shared with other pools: least recently used first, never one being restored", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-"));
    const budget = new CacheBudget([dir], 700 * 1024);
    const shared = new SharedOutputs(dir, 48, budget);
    const big = (name: string) => tree({ [`dist/${name}.bin`]: "x".repeat(300 * 1024) });
    await shared.save("old", big("old"), ["dist"]);
    await shared.save("used", big("used"), ["dist"]);
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, "old"), past, past);
    utimesSync(path.join(dir, "used"), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    // "used" is the least recently used, but a restore of it is under way while "new" is saved.
    await budget.use(path.join(dir, "used"), () => shared.save("new", big("new"), ["dist"]));
    expect(readdirSync(dir).sort()).toEqual(["new", "used"]);
  });
});

/** What process-steps' hand-over does to a new worktree (chown -R), but for the paths in `kept`. */
function handOver(dir: string, owner: { uid: number; gid: number }, kept: string[] = []): string {
  for (const item of ["", ...readdirSync(dir, { recursive: true, encoding: "utf8" })]) {
    if (!kept.includes(item)) lchownSync(path.join(dir, item), owner.uid, owner.gid);
  }
  return dir;
}

describe.runIf(process.getuid?.() === 0)("SharedOutputs, as root", () => {
  it("a restore writes as the owner, links themselves only, and leaves the worktree's root as it was", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    const from = tree({ "apps/web/dist/a.js": "a", "node_modules/p/index.js": "p" });
    symlinkSync("/etc/hostname", path.join(from, "node_modules/outside"));
    await shared.save("entry", from, ["apps/web/dist", "node_modules"]);
    const into = tree({ "apps/web/src.ts": "x", "README.md": "r" }, ["apps/web/src.ts", "README.md"]);
    const owner = { uid: 4242, gid: 4343 };
    // Handed over as process-steps does, but for one file: git picks how it runs by the root's
    // owner (worktree-git.ts), and may be listing the worktree while a restore runs.
    handOver(into, owner, ["README.md"]);
    const root = statSync(into);
    expect(await shared.restore("entry", into, owner)).toBe(true);
    expect(statSync(into)).toMatchObject({ uid: root.uid, gid: root.gid, mode: root.mode });
    const ownerOf = (file: string) => {
      const info = lstatSync(path.join(into, file));
      return `${info.uid}:${info.gid}`;
    };
    for (const file of ["apps", "apps/web/dist", "apps/web/dist/a.js", "node_modules/p/index.js"])
      expect(ownerOf(file), file).toBe("4242:4343");
    expect(ownerOf("node_modules/outside")).toBe("4242:4343");
    expect(statSync("/etc/hostname").uid).toBe(0); // what the link points to keeps its owner
    expect(ownerOf("README.md")).toBe("0:0"); // outside what was copied: left as it was
    expect(readFileSync(path.join(into, "apps/web/dist/a.js"), "utf8")).toBe("a");
  });

  it("a restore never writes through a folder the owner swaps for a link meanwhile, copied or moved in", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    const files = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`apps/web/dist/${i}.js`, "x"]));
    await shared.save("entry", tree(files), ["apps/web/dist"]);
    const owner = { uid: 65534, gid: 65534 };
    // Root's, 0700: where a link planted in the worktree points.
    const canary = mkdtempSync(path.join(os.tmpdir(), "previewd-canary-"));
    for (let round = 0; round < 6; round++) {
      if (round % 2 === 1) {
        shared.wantSpare("entry", owner); // This round's restore moves a spare in.
        shared.fillSpares();
        await shared.settled();
      }
      const into = handOver(tree({ "apps/web/src.ts": "x", "apps/web/dist/old.js": "o" }), owner);
      // What any running app (they share the runner) can do to a worktree, over and over.
      const swap = `cd "$1/apps/web" && : > ../../swapping && while :; do mv dist .d; ln -s "$2" dist; rm dist; mv .d dist; done`;
      const swapper = spawn("sh", ["-c", swap, "sh", into, canary], {
        ...owner,
        detached: true,
        stdio: "ignore",
      });
      while (!existsSync(path.join(into, "swapping"))) await sleep(5);
      await shared.restore("entry", into, owner, { spare: round % 2 === 1 });
      process.kill(-swapper.pid!, "SIGKILL");
      expect(readdirSync(canary), `round ${round}`).toEqual([]);
    }
  });

  it("a save reads as the runner who wrote the outputs: a folder swapped for a link to root's files copies none", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    const secrets = tree({ "dist/token": "secret" }); // mkdtemp's 0700, root's
    const runner = { uid: 4242, gid: 4343 };
    const from = tree({ "apps/api/dist/a.js": "a" });
    handOver(from, runner);
    // What a running app of the runner's can do to its worktree between the build and the save.
    renameSync(path.join(from, "apps/api"), path.join(from, "apps/api.real"));
    symlinkSync(secrets, path.join(from, "apps/api"));
    await expect(
      shared.save("entry", from, ["apps/api/dist"], undefined, { reader: runner }),
    ).rejects.toThrow(/could not read from/);
    expect(readdirSync(cache)).toEqual([]);
    // The same save, its folder back in place: stored, as previewd's, without set-id bits.
    rmSync(path.join(from, "apps/api"));
    renameSync(path.join(from, "apps/api.real"), path.join(from, "apps/api"));
    chmodSync(path.join(from, "apps/api/dist/a.js"), 0o4755);
    await shared.save("entry", from, ["apps/api/dist"], undefined, { reader: runner });
    const saved = statSync(path.join(cache, "entry/apps/api/dist/a.js"));
    expect({ uid: saved.uid, setIds: saved.mode & 0o6000, exec: saved.mode & 0o100 }).toEqual({
      uid: 0,
      setIds: 0,
      exec: 0o100,
    });
  });

  it("a spare is the owner's already, and goes only to a restore for that owner", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-cache-"));
    const shared = new SharedOutputs(cache);
    const from = tree({ "node_modules/p/index.js": "p" });
    symlinkSync("/etc/hostname", path.join(from, "node_modules/outside"));
    await shared.save("entry", from, ["node_modules"]);
    const owner = { uid: 4242, gid: 4343 };
    expect(await shared.restore("entry", handOver(tree({}), owner), owner, { spare: true })).toBe(true);
    shared.fillSpares();
    await shared.settled();
    const stranger = { uid: 5252, gid: 5353 };
    const other = handOver(tree({}), stranger);
    expect(await shared.restore("entry", other, stranger, { spare: true })).toBe(true);
    expect(lstatSync(path.join(other, "node_modules/p/index.js")).uid).toBe(5252);
    const into = handOver(tree({}), owner);
    expect(await shared.restore("entry", into, owner, { spare: true })).toBe(true);
    expect(readdirSync(path.join(cache, ".spares"))).toEqual([]); // The owner's spare, moved in.
    for (const file of ["node_modules", "node_modules/p/index.js", "node_modules/outside"]) {
      const info = lstatSync(path.join(into, file));
      expect(`${info.uid}:${info.gid}`, file).toBe("4242:4343");
    }
    expect(statSync("/etc/hostname").uid).toBe(0);
  });
});
