/**
 * The manifest's top-level `install`: run in the monorepo root once per lockfile content and
 * command; skipped while both are unchanged, copied when another environment already ran it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { OutputCapture } from "./output-capture.ts";
import { runCommand } from "./run-command.ts";
import { share, untrackedEntries, type SharedOutputs } from "./shared-outputs.ts";
import type { StepCache } from "./step-cache.ts";

const lockfiles = ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock"];

export async function installHash(rootDir: string, command: string): Promise<string> {
  const hash = createHash("sha256").update(command).update("\0");
  for (const name of lockfiles) {
    const content = await readFile(join(rootDir, name)).catch(() => undefined);
    if (content) hash.update(name).update("\0").update(content).update("\0");
  }
  return hash.digest("hex");
}

export interface InstallStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  owner: string;
  output: OutputCapture;
  cache: StepCache;
  /** Installs other environments made, by hash; undefined: nothing is shared. */
  shared?: SharedOutputs;
}

export async function runInstall({
  env,
  ctx,
  owner,
  output,
  cache,
  shared,
}: InstallStepOptions): Promise<void> {
  const command = env.manifest.install;
  if (!command) return;
  const hash = await installHash(env.rootDir, command);
  if ((await cache.read()).install === hash) {
    ctx.event({ step: "install", status: "skipped", message: "lockfiles unchanged since the last install" });
    return;
  }
  // Only a tree with nothing untracked yet (a fresh worktree) takes, or gives, a shared install:
  // then everything untracked afterwards is what the install made.
  const key = `install-${hash}`;
  const fresh = shared && !env.inPlace && (await untrackedEntries(env.rootDir)).length === 0;
  if (fresh && (await shared.restore(key, env.rootDir))) {
    await cache.update((record) => (record.install = hash));
    const message = "copied from another environment's install of the same lockfiles";
    ctx.event({ step: "install", status: "skipped", message });
    return;
  }
  ctx.event({ step: "install", status: "started", message: command });
  const result = await runCommand({
    command,
    cwd: env.rootDir,
    labels: { owner, envId: env.id, role: "install", name: "install" },
    output,
    logApp: "previewd",
    signal: ctx.signal,
  });
  if (result.exitCode !== 0) {
    const message = `install failed: \`${command}\` exited with code ${result.exitCode}`;
    throw new ProvisionError(message, "install", undefined, result.tail);
  }
  await cache.update((record) => (record.install = hash));
  if (fresh) await share(ctx, "install", () => shared.save(key, env.rootDir, untrackedEntries(env.rootDir)));
  ctx.event({ step: "install", status: "succeeded", message: "installed" });
}
