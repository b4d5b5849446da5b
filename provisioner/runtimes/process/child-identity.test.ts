import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { checkWorktreeReach, identityBase } from "./child-identity.ts";

/** What npm makes of `base` as a step's environment, in a HOME of its own with no ~/.npmrc. */
function npmConfig(base: NodeJS.ProcessEnv, identity?: Parameters<typeof identityBase>[0]): string[] {
  const home = mkdtempSync(join(tmpdir(), "previewd-identity-"));
  const env = { ...identityBase(identity, base), HOME: home };
  const out = execFileSync("npm", ["config", "get", "update-notifier", "audit", "fund"], {
    env,
    encoding: "utf8",
  });
  return out.trim().split("\n");
}

describe("identityBase", () => {
  // Each environment's steps have a HOME of their own: npm would otherwise ask the registry about
  // itself on each environment's first command, and send every `npm ci`'s tree for an audit.
  const base = { PATH: process.env.PATH };

  it("runs npm without what it does for a person at a terminal", () => {
    expect(npmConfig(base)).toEqual(["update-notifier=false", "audit=false", "fund=false"]);
  });

  it("unless previewd's own environment asks for it, when the step runs as previewd's user", () => {
    expect(npmConfig({ ...base, npm_config_audit: "true" })).toEqual([
      "update-notifier=false",
      "audit=true",
      "fund=false",
    ]);
    // As another user, previewd's npm_* variables (an `npm run` that started it) stay out.
    const runner = { uid: 0, gid: 0, home: "/nonexistent", user: "runner" };
    expect(npmConfig({ ...base, npm_config_audit: "true" }, runner)).toEqual([
      "update-notifier=false",
      "audit=false",
      "fund=false",
    ]);
  });
});

describe.runIf(process.getuid?.() === 0)("checkWorktreeReach", () => {
  const nobody = { uid: 65534, gid: 65534, home: "/nonexistent", user: "nobody" };
  const made: string[] = [];
  afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));
  /**
   * A worktree (a `.git` file at its top) with `apps/web` in it, in a folder of its own: made as
   * `mktemp -d` makes one (0700), or `open`, as `mkdir` does below /tmp (previewd's own places are
   * made so). `modes` makes some of its folders so, as a checkout under another umask would.
   */
  function worktree(
    options: { open?: boolean; modes?: Partial<Record<"top" | "apps" | "web", number>> } = {},
  ): { top: string; web: string } {
    const folder = options.open
      ? join(tmpdir(), `previewd-reach-${randomBytes(6).toString("hex")}`)
      : mkdtempSync(join(tmpdir(), "previewd-reach-"));
    if (options.open) mkdirSync(folder);
    made.push(folder);
    const top = join(folder, "wt");
    const mode = (name: "top" | "apps" | "web") => ({ mode: options.modes?.[name] ?? 0o777 });
    mkdirSync(top, mode("top"));
    mkdirSync(join(top, "apps"), mode("apps"));
    mkdirSync(join(top, "apps/web"), mode("web"));
    writeFileSync(join(top, ".git"), "gitdir: /nowhere\n");
    return { top, web: join(top, "apps/web") };
  }
  const handOver = (dir: string) => async () => {
    await sleep(50); // The check waits for it.
    execFileSync("chown", ["-R", `${nobody.uid}:${nobody.gid}`, dir]);
  };

  it("passes once the worktree is handed over, below folders others may enter", async () => {
    const { top, web } = worktree({ open: true });
    await expect(checkWorktreeReach(top, nobody, handOver(top)())).resolves.toBeUndefined();
    await expect(checkWorktreeReach(web, nobody)).resolves.toBeUndefined();
  });

  it("says which folder the user cannot reach: below a 0700 folder, or not handed over", async () => {
    const hidden = worktree();
    await expect(checkWorktreeReach(hidden.top, nobody, handOver(hidden.top)())).rejects.toThrow(
      `the nobody OS user cannot enter and write ${hidden.top}: every folder above it must let others enter (mode o+x)`,
    );
    const root = worktree({ open: true, modes: { top: 0o700 } });
    await expect(checkWorktreeReach(root.web, nobody)).rejects.toThrow(/cannot enter and write/);
  });

  it("passes for a monorepo in a folder of the worktree, of which only that folder is handed over", async () => {
    const { web } = worktree({ open: true });
    await expect(checkWorktreeReach(web, nobody, handOver(web)())).resolves.toBeUndefined();
  });

  it("tries as the user what the mode does not settle: a root without u+w, a folder above without o+x", async () => {
    const readOnly = worktree({ open: true, modes: { web: 0o500 } });
    await handOver(readOnly.top)();
    await expect(checkWorktreeReach(readOnly.web, nobody)).rejects.toThrow(/cannot enter and write/);
    const closed = worktree({ open: true, modes: { apps: 0o700 } });
    await handOver(closed.web)();
    await expect(checkWorktreeReach(closed.web, nobody)).rejects.toThrow(/cannot enter and write/);
  });
});
