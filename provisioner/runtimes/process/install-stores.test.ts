import { mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CacheBudget } from "./cache-budget.ts";
import { InstallStores } from "./install-stores.ts";

const npm = { name: "npm", berry: false, plugAndPlay: false } as const;

describe("InstallStores under a cache cap", () => {
  it("enforces the cap after an install that ran with the store, not after one that was copied", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-stores-"));
    const outputs = path.join(dir, "outputs");
    const stores = path.join(dir, "stores");
    // An old shared output that alone fits the cap; the store grown by an install does not.
    mkdirSync(path.join(outputs, "old"), { recursive: true });
    writeFileSync(path.join(outputs, "old", "file"), "x".repeat(200 * 1024));
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(outputs, "old"), past, past);
    const installs = new InstallStores(stores, new CacheBudget([outputs, stores], 300 * 1024));

    // A copied install (what copyOrInstall does with a shared entry) never asks for the store; the
    // file written here only shows that no check ran.
    await installs.use(npm, undefined, async () => {
      writeFileSync(path.join(stores, "npm", "store", "grown"), "y".repeat(200 * 1024));
    });
    expect(readdirSync(outputs)).toEqual(["old"]);

    // An install that runs is pointed at the store: past the cap, the least recently used goes.
    await installs.use(npm, undefined, async (store) => {
      expect(store?.variables()).toEqual({ npm_config_cache: path.join(stores, "npm", "store") });
      await writeFile(path.join(stores, "npm", "store", "more"), "z");
    });
    expect(readdirSync(outputs)).toEqual([]);
  });
});
