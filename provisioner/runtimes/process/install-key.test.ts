import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sharedInstallKey, type SharedInstallKeyOptions } from "./install-key.ts";

/** A committed tree; `files` may be changed with `write` + commit to get another key. */
function repo(files: Record<string, string>, options: SharedInstallKeyOptions = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-install-key-"));
  execFileSync("git", ["init", "-q", dir]);
  const write = (changes: Record<string, string>) => {
    for (const [file, content] of Object.entries(changes)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
    execFileSync("git", ["-C", dir, "add", "-A"]);
  };
  write(files);
  return { dir, write, key: () => sharedInstallKey(dir, "npm ci", options) };
}

const lock = JSON.stringify({ lockfileVersion: 3, packages: {} });
const manifest = (scripts: Record<string, string> = {}) => JSON.stringify({ name: "x", scripts });

describe("sharedInstallKey", () => {
  it("is undefined without a lockfile: nothing pins what the install makes", async () => {
    expect(await repo({ "package.json": manifest() }).key()).toBeUndefined();
  });

  it("follows the lockfile, every package manifest, settings, patches and Prisma schemas; not app sources", async () => {
    const tree = repo({
      "package-lock.json": lock,
      "package.json": manifest(),
      "apps/api/package.json": manifest({ build: "tsc" }),
      "apps/api/src/index.ts": "export {};",
      "apps/api/prisma/schema.prisma": "model A { id Int @id }",
    });
    const keys = [await tree.key()];
    tree.write({ "apps/api/src/index.ts": "export const changed = 1;" });
    expect(await tree.key()).toBe(keys[0]);
    const changes: Record<string, string>[] = [
      { "apps/api/package.json": manifest({ build: "tsc -b" }) },
      { ".npmrc": "legacy-peer-deps=true" },
      { "patches/left-pad+1.0.0.patch": "diff" },
      { "apps/api/prisma/schema.prisma": "model B { id Int @id }" },
      { "package-lock.json": JSON.stringify({ lockfileVersion: 3, packages: { "": {} } }) },
    ];
    for (const change of changes) {
      tree.write(change);
      const key = await tree.key();
      expect(keys).not.toContain(key);
      keys.push(key);
    }
  });

  it("follows what pnpm and yarn read: workspace file, hooks, yarn's settings, patches, plugins and releases", async () => {
    const tree = repo({
      "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
      "package.json": manifest(),
      "README.md": "# x",
    });
    const keys = [await tree.key()];
    tree.write({ "README.md": "# y" });
    expect(await tree.key()).toBe(keys[0]);
    const changes: Record<string, string>[] = [
      { "pnpm-workspace.yaml": "packages: [apps/*]" },
      { ".pnpmfile.cjs": "module.exports = {}" },
      { ".yarnrc.yml": "nodeLinker: node-modules" },
      { ".yarn/patches/ms-npm-2.1.3.patch": "diff" },
      { ".yarn/plugins/plugin.cjs": "module.exports = {}" },
      { ".yarn/releases/yarn-4.5.0.cjs": "// yarn" },
    ];
    for (const change of changes) {
      tree.write(change);
      const key = await tree.key();
      expect(keys).not.toContain(key);
      keys.push(key);
    }
  });

  it("follows the top-level env the install runs with", async () => {
    const files = { "package-lock.json": lock, "package.json": manifest() };
    const plain = await repo(files).key();
    expect(await repo(files, { env: {} }).key()).toBe(plain);
    expect(await repo(files, { env: { NODE_ENV: "production" } }).key()).not.toBe(plain);
  });

  it("does not cover other files when the project's own packages run install scripts: they run again", async () => {
    const tree = repo({
      "package-lock.json": lock,
      "package.json": manifest({ postinstall: "node generate.js" }),
      "packages/ui/package.json": manifest({ prepare: "node generate.js" }),
      "packages/ui/icons.json": "[]",
    });
    const before = await tree.key();
    tree.write({ "packages/ui/icons.json": '["star"]' });
    expect(await tree.key()).toBe(before);
  });

  it("full-copies, the way before, covers every tracked file when the project's own packages run install scripts", async () => {
    const tree = repo(
      {
        "package-lock.json": lock,
        "package.json": manifest(),
        "packages/ui/package.json": manifest({ prepare: "node generate.js" }),
        "packages/ui/icons.json": "[]",
      },
      { sharing: "full-copies" },
    );
    const before = await tree.key();
    tree.write({ "packages/ui/icons.json": '["star"]' });
    expect(await tree.key()).not.toBe(before);
  });

  it("keys the two ways apart", async () => {
    const files = { "package-lock.json": lock, "package.json": manifest() };
    const fullCopies = await repo(files, { sharing: "full-copies" }).key();
    expect(await repo(files).key()).not.toBe(fullCopies);
  });
});
