import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Manifest } from "../manifest/manifest-schema.ts";
import { appHashes, appInputHash, appInputHashes, appOwnsFile } from "./app-input-hash.ts";

let root: string;

async function write(file: string, content: string): Promise<void> {
  await mkdir(dirname(join(root, file)), { recursive: true });
  await writeFile(join(root, file), content);
}

function git(...args: string[]): void {
  execFileSync("git", ["-C", root, "-c", "user.name=t", "-c", "user.email=t@t", ...args], {
    stdio: "ignore",
  });
}

const app = (path: string, start = "node server.js") => ({
  path,
  start,
  health: "/",
  env: {},
  depends_on: [],
});

const manifest: Manifest = {
  version: 1,
  name: "shop",
  services: {},
  apps: { api: app("apps/api"), web: app("apps/web") },
  flags: {},
  seed: { scenarios: "seed-scenarios" },
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "input-hash-"));
  await write("package.json", "{}");
  await write("apps/api/server.js", "api");
  await write("apps/web/server.js", "web");
  await write("packages/shared/index.js", "shared");
  await write(".gitignore", "dist/\n");
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "init");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("appInputHash", () => {
  it("is stable while nothing changes", async () => {
    const first = await appInputHashes(root, manifest);
    expect(await appInputHashes(root, manifest)).toEqual(first);
    expect(first.api).not.toBe(first.web);
    expect(await appInputHash(root, manifest, "api")).toBe(first.api);
  });

  it("changes only the app whose files changed, committed or not", async () => {
    const before = await appInputHashes(root, manifest);
    await write("apps/web/server.js", "web v2");
    const dirty = await appInputHashes(root, manifest);
    expect(dirty.web).not.toBe(before.web);
    expect(dirty.api).toBe(before.api);
    git("commit", "-qam", "web v2");
    expect(await appInputHashes(root, manifest)).toEqual(dirty);
    await write("apps/web/new-file.js", "untracked");
    expect((await appInputHashes(root, manifest)).web).not.toBe(dirty.web);
  });

  it("changes every app when a shared file changes or appears", async () => {
    const before = await appInputHashes(root, manifest);
    await write("packages/shared/index.js", "shared v2");
    const after = await appInputHashes(root, manifest);
    expect(after.api).not.toBe(before.api);
    expect(after.web).not.toBe(before.web);
  });

  it("ignores ignored files and node_modules, and deleted files stop counting", async () => {
    const before = await appInputHashes(root, manifest);
    await write("apps/api/dist/server.js", "built");
    await write("node_modules/x/index.js", "dep");
    await write("apps/api/node_modules/y/index.js", "dep");
    expect(await appInputHashes(root, manifest)).toEqual(before);
    await rm(join(root, "apps/api/server.js"));
    expect((await appInputHashes(root, manifest)).api).not.toBe(before.api);
  });

  it("hashes each file by what the worktree has, whatever git's index says of it", async () => {
    const blob = (file: string) =>
      execFileSync("git", ["-C", root, "hash-object", "--", file], { encoding: "utf8" }).trim();
    const files = async () => (await appHashes(root, manifest)).api!.files;
    await symlink("server.js", join(root, "apps/api/link.js"));
    git("add", ".");
    git("commit", "-qm", "link");
    const committed = await files();
    expect(committed.get("apps/api/server.js")).toBe(blob("apps/api/server.js"));
    expect(committed.get("apps/api/link.js")).toBe("link:server.js");
    // The same size, in the second of the commit: git's stat check cannot tell, its content check does.
    await write("apps/api/server.js", "API");
    expect((await files()).get("apps/api/server.js")).toBe(blob("apps/api/server.js"));
    // Staged, then changed back in the worktree: the worktree's content counts.
    git("add", ".");
    await write("apps/api/server.js", "api");
    expect(await files()).toEqual(committed);
    // A new mtime and owner-like stat change alone changes nothing.
    await utimes(join(root, "apps/api/server.js"), new Date(), new Date(Date.now() + 5_000));
    expect(await files()).toEqual(committed);
    // A tracked symlink pointed elsewhere in the worktree.
    await rm(join(root, "apps/api/link.js"));
    await symlink("other.js", join(root, "apps/api/link.js"));
    expect((await files()).get("apps/api/link.js")).toBe("link:other.js");
  });

  it("gives the same hashes from the index entries alone, for a worktree as checked out", async () => {
    await symlink("../packages/shared/index.js", join(root, "apps/api/shared.js"));
    git("add", ".");
    git("commit", "-qm", "a link");
    // What the install and other builds put in place meanwhile: ignored, and not in the index.
    await write("node_modules/p/index.js", "p");
    await write("apps/api/dist/out.js", "built");
    const index = async () =>
      execFileSync("git", ["-C", root, "ls-files", "-s", "-z"], { encoding: "utf8" })
        .split("\0")
        .filter(Boolean);
    expect(await appHashes(root, manifest, { trackedOnly: index })).toEqual(await appHashes(root, manifest));
    // A listing that fails gives way to git's own.
    const failing = () => Promise.reject(new Error("no index"));
    expect(await appHashes(root, manifest, { trackedOnly: failing })).toEqual(
      await appHashes(root, manifest),
    );
  });

  it("includes the app's manifest entry only", async () => {
    const before = await appInputHashes(root, manifest);
    const changed = { ...manifest, apps: { ...manifest.apps, api: app("apps/api", "node other.js") } };
    const after = await appInputHashes(root, changed);
    expect(after.api).not.toBe(before.api);
    expect(after.web).toBe(before.web);
  });
});

describe("appHashes", () => {
  const withApi = (change: Partial<Manifest["apps"][string]>, top: Partial<Manifest> = {}): Manifest => ({
    ...manifest,
    ...top,
    apps: { ...manifest.apps, api: { ...app("apps/api"), ...change } },
  });

  it("keeps the build hash when only env, start, release or health change, and the input hash follows them", async () => {
    const base = (await appHashes(root, withApi({ build: "npm run build" }))).api!;
    for (const change of [
      { env: { GREETING: "hi" } },
      { start: "node other.js" },
      { release: "npm run migrate" },
      { health: "/healthz" },
    ]) {
      const changed = (await appHashes(root, withApi({ build: "npm run build", ...change }))).api!;
      expect(changed.build, JSON.stringify(change)).toBe(base.build);
      expect(changed.input, JSON.stringify(change)).not.toBe(base.input);
    }
  });

  it("changes the build hash with the build, its build_env, the top-level env and its files", async () => {
    const base = (await appHashes(root, withApi({ build: "npm run build" }))).api!;
    const changes: Manifest[] = [
      withApi({ build: "npm run build:prod" }),
      withApi({ build: "npm run build", build_env: { VITE_API: "x" } }),
      withApi({ build: "npm run build" }, { env: { NODE_ENV: "production" } }),
    ];
    for (const changed of changes) {
      const hashes = (await appHashes(root, changed)).api!;
      expect(hashes.build).not.toBe(base.build);
      expect(hashes.input).not.toBe(base.input);
    }
    await write("apps/api/server.js", "api v2");
    expect((await appHashes(root, withApi({ build: "npm run build" }))).api!.build).not.toBe(base.build);
  });

  it("hashes the build environment as interpolated: the same template naming another value rebuilds", async () => {
    const spec = withApi({ build: "npm run build", build_env: { VITE_URL: "${apps.api.url}" } });
    const one = await appHashes(root, spec, { buildEnvironments: { api: { VITE_URL: "http://api--one" } } });
    const two = await appHashes(root, spec, { buildEnvironments: { api: { VITE_URL: "http://api--two" } } });
    expect(one.api!.build).not.toBe(two.api!.build);
    expect(one.api!.input).not.toBe(two.api!.input);
    expect(one.web).toEqual(two.web);
  });

  it("leaves the manifest file out of every app's files: its entry counts instead", () => {
    const owns = appOwnsFile(manifest, "api");
    expect(owns("preview.yaml")).toBe(false);
    expect(owns("package.json")).toBe(true);
    expect(owns("apps/api/server.js")).toBe(true);
    expect(owns("apps/web/server.js")).toBe(false);
  });

  it("leaves a command service's folder to the service: a twin's code restarts no app", () => {
    const twin = { type: "command" as const, path: "twins/payments", run: "node server.js", env: {} };
    const root = { type: "command" as const, path: ".", run: "node mail.js", env: {} };
    const owns = appOwnsFile({ ...manifest, services: { twin, root } }, "api");
    expect(owns("twins/payments/server.js")).toBe(false);
    expect(owns("packages/shared/index.js")).toBe(true);
    expect(owns("apps/api/server.js")).toBe(true);
  });

  it("gives an app without build variables one input hash, build environments given or not", async () => {
    const hashes = await appHashes(root, manifest, { buildEnvironments: { api: {}, web: {} } });
    expect(hashes.api!.input).toBe((await appInputHashes(root, manifest)).api);
  });
});
