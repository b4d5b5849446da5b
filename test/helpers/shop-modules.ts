/**
 * The OpenFeature packages of examples/shop (server SDK, OFREP provider, web provider), loaded
 * from the shop's own node_modules: they are the shop's dependencies, not previewd's. A fresh
 * clone has none yet: `test/global-setup.ts` runs `npm ci` there once, before any worker starts,
 * so no two suites ever install into the same tree at once.
 */
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { repoRoot } from "./serve-process.ts";

export const shopDir = path.join(repoRoot, "examples/shop");
export const shopModules = path.join(shopDir, "node_modules");

// `npm ci` empties node_modules first, so a marker written inside it after a successful install
// is there only when the install is whole (package.json files appear long before).
const installedMarker = path.join(shopModules, ".previewd-installed");

export function ensureShopModules(): void {
  if (existsSync(installedMarker)) return;
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: shopDir,
    stdio: "ignore",
    timeout: 300_000,
  });
  writeFileSync(installedMarker, `${new Date().toISOString()}\n`);
}

/** `require` as the shop's code sees it. */
export const shopRequire = createRequire(path.join(shopDir, "package.json"));
