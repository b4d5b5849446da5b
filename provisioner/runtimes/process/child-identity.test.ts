import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { identityBase } from "./child-identity.ts";

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
