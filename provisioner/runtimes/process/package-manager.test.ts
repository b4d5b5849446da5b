import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { detectPackageManager, parsePinned } from "./package-manager.ts";

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-package-manager-"));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

describe("parsePinned", () => {
  it("reads a name, an exact version and an optional hash; anything else is not pinned", () => {
    expect(parsePinned("pnpm@9.15.0")).toEqual({
      spec: "pnpm@9.15.0",
      name: "pnpm",
      version: "9.15.0",
      hashed: false,
    });
    expect(parsePinned("yarn@4.5.0+sha224.abc123")).toMatchObject({
      name: "yarn",
      version: "4.5.0",
      hashed: true,
    });
    expect(parsePinned("npm@10.8.0")).toBeUndefined();
    expect(parsePinned("pnpm@^9")).toBeUndefined();
  });
});

describe("detectPackageManager", () => {
  it("takes packageManager first, then the lockfile", async () => {
    const pinned = await detectPackageManager(
      tree({ "package.json": JSON.stringify({ packageManager: "pnpm@10.34.9" }), "package-lock.json": "{}" }),
    );
    expect(pinned).toMatchObject({ name: "pnpm", pinned: { version: "10.34.9" }, berry: false });
    expect(
      await detectPackageManager(tree({ "package.json": "{}", "package-lock.json": "{}" })),
    ).toMatchObject({
      name: "npm",
    });
    expect(await detectPackageManager(tree({ "package.json": "{}" }))).toBeUndefined();
  });

  it("takes a package.json that is a link for none: previewd's user must not read through it", async () => {
    const elsewhere = tree({ "package.json": JSON.stringify({ packageManager: "pnpm@10.34.9" }) });
    const dir = tree({ "pnpm-lock.yaml": "" });
    symlinkSync(path.join(elsewhere, "package.json"), path.join(dir, "package.json"));
    expect(await detectPackageManager(dir)).toEqual({ name: "pnpm", berry: false, plugAndPlay: false });
  });

  it("tells yarn classic from berry, and berry's Plug'n'Play from node_modules", async () => {
    const yarn = (version: string, rc?: string) =>
      detectPackageManager(
        tree({
          "package.json": JSON.stringify({ packageManager: `yarn@${version}` }),
          ...(rc && { ".yarnrc.yml": rc }),
        }),
      );
    expect(await yarn("1.22.22")).toMatchObject({ name: "yarn", berry: false, plugAndPlay: false });
    expect(await yarn("4.18.1", "nodeLinker: node-modules\n")).toMatchObject({
      berry: true,
      plugAndPlay: false,
    });
    expect(await yarn("4.18.1")).toMatchObject({ berry: true, plugAndPlay: true });
    expect(
      await detectPackageManager(tree({ "yarn.lock": "", ".yarnrc.yml": "nodeLinker: pnpm\n" })),
    ).toMatchObject({
      name: "yarn",
      berry: true,
      plugAndPlay: false,
    });
  });
});
