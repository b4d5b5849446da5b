/**
 * examples/shop as its own small git repository: the committed shop (HEAD) with the working
 * tree's seed scenarios on top, so suites and benchmarks run the scenarios being worked on
 * without picking up anyone's half-finished app changes or touching the shared working tree.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * The repository's directory. With `under`, the shop sits in that folder of the repository, as
 * examples/shop does in previewd's own (provision it with `dir`).
 */
export function createShopRepo(options: { under?: string } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-shop-"));
  const shop = path.join(dir, options.under ?? "");
  mkdirSync(shop, { recursive: true });
  const archive = execFileSync("git", ["-C", repoRoot, "archive", "--format=tar", "HEAD:examples/shop"], {
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync("tar", ["-x", "-C", shop], { input: archive });
  cpSync(path.join(repoRoot, "examples/shop/seed-scenarios"), path.join(shop, "seed-scenarios"), {
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
