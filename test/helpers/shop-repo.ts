/**
 * examples/shop as its own small git repository: the committed shop (HEAD) with the working
 * tree's seed scenarios on top, so suites and benchmarks run the scenarios being worked on
 * without picking up anyone's half-finished app changes or touching the shared working tree.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function createShopRepo(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shop-"));
  const archive = execFileSync("git", ["-C", repoRoot, "archive", "--format=tar", "HEAD:examples/shop"], {
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  cpSync(path.join(repoRoot, "examples/shop/seed-scenarios"), path.join(dir, "seed-scenarios"), {
    recursive: true,
  });
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      stdio: "ignore",
    });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "shop");
  return dir;
}
