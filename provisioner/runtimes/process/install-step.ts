/**
 * The manifest's top-level `install`: run in the monorepo root once per lockfile content and
 * command; skipped while both are unchanged, copied when another environment already ran it.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { ProvisionError } from "../../errors.ts";
import { worktreeGitArgs } from "../../sources/worktree-git.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { childIdentity } from "./child-identity.ts";
import type { OutputCapture } from "./output-capture.ts";
import { runCommand } from "./run-command.ts";
import { share, untrackedEntries, type SharedOutputs } from "./shared-outputs.ts";
import type { StepCache } from "./step-cache.ts";

const run = promisify(execFile);

const lockfiles = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "bun.lock",
  "bun.lockb",
];

export async function installHash(rootDir: string, command: string): Promise<string> {
  const hash = createHash("sha256").update(command).update("\0");
  for (const name of lockfiles) {
    const content = await readFile(join(rootDir, name)).catch(() => undefined);
    if (content) hash.update(name).update("\0").update(content).update("\0");
  }
  return hash.digest("hex");
}

/** Files besides the lockfiles that decide what an install makes: package manifests, settings, patches, schemas it generates from. */
const installInputs =
  /(^|\/)(package\.json|\.npmrc|\.yarnrc(\.yml)?|pnpm-workspace\.yaml|bunfig\.toml|[^/]+\.prisma)$|(^|\/)patches\//;
const lifecycleScripts = ["preinstall", "install", "postinstall", "prepare"];

/**
 * The key under which an install is shared with other environments, or undefined when it cannot be
 * shared safely: without a lockfile nothing pins what gets installed. Beyond the lockfiles it
 * covers the tracked package manifests, package-manager settings, patches and Prisma schemas,
 * and Node's version, platform and architecture (native addons). When the project's own packages
 * run install scripts, which may read any file, it covers every tracked file.
 */
export async function sharedInstallKey(rootDir: string, command: string): Promise<string | undefined> {
  const present = await Promise.all(
    lockfiles.map((name) =>
      stat(join(rootDir, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!present.some(Boolean)) return undefined;
  const hash = createHash("sha256").update(await installHash(rootDir, command));
  hash.update(`\0${process.version}\0${process.platform}\0${process.arch}`);
  const { stdout } = await run("git", [...(await worktreeGitArgs(rootDir)), "ls-files", "-s", "-z"], {
    maxBuffer: 256 * 1024 * 1024,
  });
  // `<mode> <blob> <stage>\t<path>`: the blob hash stands for the content.
  const tracked = stdout.split("\0").filter(Boolean);
  let scripted = false;
  for (const line of tracked) {
    const path = line.slice(line.indexOf("\t") + 1);
    if (!installInputs.test(path)) continue;
    hash.update(`\0${line}`);
    if (path.endsWith("package.json") && !scripted) scripted = await runsInstallScripts(join(rootDir, path));
  }
  if (scripted) for (const line of tracked) hash.update(`\0${line}`);
  return hash.digest("hex");
}

async function runsInstallScripts(file: string): Promise<boolean> {
  try {
    const scripts = (JSON.parse(await readFile(file, "utf8")) as { scripts?: Record<string, unknown> })
      .scripts;
    return lifecycleScripts.some((name) => scripts?.[name] !== undefined);
  } catch {
    return true; // Unreadable: assume the worst.
  }
}

export interface InstallStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  owner: string;
  output: OutputCapture;
  cache: StepCache;
  /** Installs other environments made, by hash; given only for a fresh worktree, else undefined. */
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
  // The caller passes `shared` only for a fresh worktree, so everything untracked afterwards is
  // what the install made.
  const sharedKey = shared && (await sharedInstallKey(env.rootDir, command).catch(() => undefined));
  const key = sharedKey && `install-${sharedKey}`;
  const identity = await childIdentity(env, owner);
  if (shared && key && (await shared.restore(key, env.rootDir, identity))) {
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
    identity,
  });
  if (result.exitCode !== 0) {
    const message = `install failed: \`${command}\` exited with code ${result.exitCode}`;
    throw new ProvisionError(message, "install", undefined, result.tail);
  }
  await cache.update((record) => (record.install = hash));
  if (shared && key) {
    await share(ctx, "install", async () =>
      shared.save(key, env.rootDir, await untrackedEntries(env.rootDir)),
    );
  }
  ctx.event({ step: "install", status: "succeeded", message: "installed" });
}
