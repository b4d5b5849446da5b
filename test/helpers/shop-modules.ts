/**
 * The OpenFeature packages of examples/shop (server SDK, OFREP provider, web provider), loaded
 * from the shop's own node_modules: they are the shop's dependencies, not previewd's. A fresh
 * clone has none yet, so the first suite that needs them runs `npm ci` there once.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { repoRoot } from "./serve-process.ts";

export const shopDir = path.join(repoRoot, "examples/shop");
export const shopModules = path.join(shopDir, "node_modules");

export function ensureShopModules(): void {
  const needed = [
    "@openfeature/server-sdk",
    "@openfeature/ofrep-provider",
    "@openfeature/ofrep-web-provider",
  ];
  if (needed.every((name) => existsSync(path.join(shopModules, name, "package.json")))) return;
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: shopDir, stdio: "ignore", timeout: 300_000 });
}

/** `require` as the shop's code sees it. */
export const shopRequire = createRequire(path.join(shopDir, "package.json"));
