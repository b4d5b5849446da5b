/**
 * One app's `build`, run in its path with its build environment (the top-level env and its
 * `build_env`); skipped while its build hash equals that of its last successful build, copied
 * when another environment already built the same inputs, else run on top of a copy of the
 * nearest build of the same app (build-seeds.ts), so an incremental tool redoes only what
 * changed. Only a build that runs or is copied counts in the `build` phase.
 */
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import { appFolderBelow, appOwnsFile } from "../app-input-hash.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { childIdentity, type ChildIdentity } from "./child-identity.ts";
import type { OutputCapture } from "./output-capture.ts";
import { runCommand } from "./run-command.ts";
import {
  fileStamps,
  share,
  untrackedEntries,
  untrackedStamps,
  writtenSince,
  type SharedOutputs,
} from "./shared-outputs.ts";
import type { StepCache } from "./step-cache.ts";
import { seedsTried, type BuildSeeds } from "./build-seeds.ts";

export interface BuildStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  owner: string;
  output: OutputCapture;
  cache: StepCache;
  app: string;
  /** What decides the build (app-input-hash.ts): its key in the cache and among shared outputs. */
  buildHash: string;
  /** Its build environment, interpolated (build-values.ts). */
  variables: Record<string, string>;
  /** Stops the build (the provision failed elsewhere); default the context's. */
  signal?: AbortSignal;
  /** Builds other environments made, by build hash; given only for a fresh worktree, else undefined. */
  shared?: SharedOutputs;
  /** With `shared`: the worktree's tracked files, as `git ls-files -s -z` lists them (its index). */
  index?: () => Promise<readonly string[]>;
  /** Which of them may seed this build (with `shared` only): its family and files (app-input-hash.ts). */
  seeding?: { seeds: BuildSeeds; family: string; files: ReadonlyMap<string, string> };
  /**
   * Takes the offer of this build's outputs to other environments (a copy and a sync), to run
   * while the app starts: the caller begins it (once the app's process is spawned) and waits for
   * it before the provision ends. Without it the build makes its own offer and waits for it.
   */
  background?: (offer: () => Promise<void>) => void;
}

export async function runBuild(options: BuildStepOptions): Promise<void> {
  const { env, ctx, cache, app, buildHash } = options;
  const command = env.manifest.apps[app]?.build;
  if (!command) return;
  if ((await cache.read()).builds[app] === buildHash) {
    ctx.event({ step: "build", app, status: "skipped", message: "inputs unchanged since the last build" });
    return;
  }
  await ctx.phase("build", () => buildOrCopy(options, command));
}

async function buildOrCopy(options: BuildStepOptions, command: string): Promise<void> {
  const { env, ctx, owner, output, cache, app, buildHash, shared } = options;
  const spec = env.manifest.apps[app]!;
  const key = `build-${buildHash}`;
  const identity = await childIdentity(env, owner);
  if (shared && (await shared.restore(key, env.rootDir, identity, { restamp: true, spare: true }))) {
    await cache.update((record) => (record.builds[app] = buildHash));
    const message = "copied from another environment's build of the same inputs";
    ctx.event({ step: "build", app, status: "skipped", message });
    return;
  }
  ctx.event({ step: "build", app, status: "started", message: command });
  // Before the seed: what the seed copies counts as the build's output, rewritten by it or not.
  const before = shared && (await appOutputs(options).catch(() => undefined));
  if (shared && before) await seed(options, shared, identity);
  const result = await runCommand({
    command,
    cwd: join(env.rootDir, spec.path),
    labels: { owner, envId: env.id, role: "build", name: app },
    output,
    logApp: app,
    signal: options.signal ?? ctx.signal,
    env: options.variables,
    identity,
  });
  if (result.exitCode !== 0) {
    const message = `build of ${app} failed: \`${command}\` exited with code ${result.exitCode}`;
    throw new ProvisionError(message, "build", app, result.tail);
  }
  await cache.update((record) => (record.builds[app] = buildHash));
  if (shared && before) {
    // What the build wrote, as it was when it ended: the copy is kept only if nothing changed it since.
    const after = await appOutputs(options).catch(() => undefined);
    const written = after && new Map(writtenSince(before, after).map((path) => [path, after.get(path)!]));
    const save = async () => {
      if (!written) throw new Error("its outputs could not be listed");
      await shared.save(key, env.rootDir, [...written.keys()], written, {
        upkeepLater: true,
        reader: identity,
      });
      shared.wantSpare(key, identity);
      const { seeding } = options;
      if (seeding) await seeding.seeds.note(seeding.family, key, seeding.files);
    };
    const offer = () => share(ctx, "build", save, app);
    if (options.background) options.background(offer);
    else await offer();
  }
  ctx.event({ step: "build", app, status: "succeeded", message: "built" });
}

/**
 * Copies the nearest build of the same app into the worktree, where nothing is yet: a shared
 * package's output an earlier build of this environment made stays as it is.
 */
async function seed(
  options: BuildStepOptions,
  shared: SharedOutputs,
  identity: ChildIdentity | undefined,
): Promise<void> {
  const { seeding, env, ctx, app } = options;
  if (!seeding) return;
  const candidates = await seeding.seeds.nearest(seeding.family, seeding.files).catch(() => []);
  for (const { key, changed } of candidates.slice(0, seedsTried)) {
    if (await shared.restore(key, env.rootDir, identity, { keepExisting: true, spare: true })) {
      const message = `seeded with another environment's build of the same app (${changed} file(s) differ)`;
      ctx.event({ step: "build", app, status: "info", message });
      return;
    }
    await seeding.seeds.forget(seeding.family, key).catch(() => undefined); // Evicted since.
  }
}

/**
 * The untracked files an app's build may leave that belong to it: in its own path and in shared
 * places (a shared package's `dist`, which its inputs cover too), never in another app's path, and
 * never in `node_modules` (the install's). Of these, what the build wrote is shared: not what an
 * earlier app's build left in a shared place, which that app's entry holds.
 */
async function appOutputs({ env, app, index }: BuildStepOptions): Promise<Map<string, string>> {
  const owns = appOwnsFile(env.manifest, app);
  // Not walked: what lies in another app's path (nothing below it is this app's) and `node_modules`.
  const skip = (path: string) => !owns(path) || path.split("/").includes("node_modules");
  const tracked = await index?.().catch(() => undefined);
  if (tracked) return untrackedStamps(env.rootDir, tracked, skip, appFolderBelow(env.manifest, app));
  return fileStamps(env.rootDir, await untrackedEntries(env.rootDir), skip);
}
