import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../logger.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import { createRepoSources } from "../../sources/repo-source.ts";
import { createWorktreeManager } from "../../sources/worktree-manager.ts";
import type { RuntimeEnvironment } from "../runtime.ts";
import { readInstallInputs } from "./install-step.ts";

const scratch = mkdtempSync(path.join(os.tmpdir(), "previewd-install-step-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("readInstallInputs", () => {
  it("keys a new worktree's install alike from its commit's listing, from its index, and when that listing failed", async () => {
    const repo = path.join(scratch, "repo");
    execFileSync("git", ["init", "-q", repo]);
    const files = {
      "package.json": JSON.stringify({ name: "m", workspaces: ["apps/*"] }),
      "package-lock.json": JSON.stringify({ lockfileVersion: 3, packages: {} }),
      "apps/web/package.json": JSON.stringify({ name: "web", scripts: { postinstall: "true" } }),
      "apps/web/index.ts": "export {};",
    };
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
      writeFileSync(path.join(repo, file), content);
    }
    execFileSync("git", ["-C", repo, "add", "-A"]);
    execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"]);
    const commit = execFileSync("git", ["-C", repo, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const sources = createRepoSources({ cacheDir: path.join(scratch, "cache"), logger: silentLogger });
    const resolved = await sources.resolve(repo);
    const worktrees = createWorktreeManager({ worktreesDir: path.join(scratch, "wt"), logger: silentLogger });
    const rootDir = await worktrees.add(resolved, "one", commit);
    const env = (checkoutIndex?: Promise<string[]>) =>
      ({
        rootDir,
        manifest: { install: "npm ci", env: {} } as unknown as Manifest,
        ...(checkoutIndex && { checkedOutNow: true, checkoutIndex }),
      }) as RuntimeEnvironment;
    const failed = Promise.reject(new Error("ls-tree failed"));
    failed.catch(() => undefined);

    const fromIndex = readInstallInputs(env(), undefined);
    const fromCommit = readInstallInputs(env(worktrees.trackedAt(resolved, commit)), undefined);
    const fallback = readInstallInputs(env(failed), undefined);
    const key = await fromIndex.sharedKey();
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(await fromCommit.sharedKey()).toBe(key);
    expect(await fallback.sharedKey()).toBe(key);
    expect(await fromCommit.tracked()).toEqual(await fromIndex.tracked());
    expect(await fallback.tracked()).toEqual(await fromIndex.tracked());
    // The commit's listing is what it reads, not the worktree's index again.
    const given = ["100644 0000000000000000000000000000000000000000 0\tpackage-lock.json"];
    const listed = readInstallInputs(env(Promise.resolve(given)), undefined);
    expect(await listed.tracked()).toBe(await listed.tracked());
    expect(await listed.tracked()).toEqual(given);
    expect(await listed.sharedKey()).not.toBe(key);
  });
});
