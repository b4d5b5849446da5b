/**
 * The manifest's top-level `install`: run in the monorepo root, with the manifest's top-level
 * `env`, once per lockfile content and command; skipped while both are unchanged.
 *
 * Shared between environments (install-key.ts says how it is keyed):
 * - pnpm and yarn (but Plug'n'Play) run every install against one store or cache for all
 *   environments (install-stores.ts): packages another environment downloaded are linked or
 *   unpacked, not downloaded, and the project's own install scripts see this branch's files.
 * - npm and others: an install another environment made from the same inputs is copied, then the
 *   project's own install scripts run again here (lifecycle-scripts.ts).
 * - `full-copies` (the way before, to compare against): every install copied whole.
 * Before anything runs, corepack fetches the pnpm or yarn that `packageManager` pins (corepack.ts).
 */
import { join } from "node:path";
import { ProvisionError } from "../../errors.ts";
import { sharedEnvironment } from "../../manifest/interpolate.ts";
import { settled } from "../provision-steps.ts";
import type { RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { childIdentity, type ChildIdentity } from "./child-identity.ts";
import { preparePackageManager } from "./corepack.ts";
import { installHash, sharedInstallKey, trackedIndex, type InstallSharing } from "./install-key.ts";
import { linksFromStore, type InstallStores, type StoreUse } from "./install-stores.ts";
import { ownInstallScripts, scriptCommand, type PackageScripts } from "./lifecycle-scripts.ts";
import type { OutputCapture } from "./output-capture.ts";
import { detectPackageManager, type PackageManager } from "./package-manager.ts";
import { runCommand } from "./run-command.ts";
import { share, untrackedEntries, type SharedOutputs } from "./shared-outputs.ts";
import type { StepCache } from "./step-cache.ts";

export { installHash, sharedInstallKey } from "./install-key.ts";

export interface InstallStepOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  owner: string;
  output: OutputCapture;
  cache: StepCache;
  /** Installs other environments made, by hash; given only for a fresh worktree, else undefined. */
  shared?: SharedOutputs;
  /** How installs are shared between environments; undefined: `package-manager`, with no shared stores. */
  installs?: SharedInstalls;
  /** What it reads of the tracked files, begun earlier (readInstallInputs); undefined: read now. */
  reads?: InstallReads;
}

/**
 * What the install reads of the tracked files before it does anything: the package manager, the
 * lockfiles' hash (step-cache.ts), the key installs are shared by (install-key.ts, a git listing:
 * tens of ms). Nothing writes tracked files before the install, so these can be begun beside the
 * early hashes, before it is known whether the install may be shared.
 */
export interface InstallReads {
  manager: Promise<PackageManager | undefined>;
  hash: Promise<string | undefined>;
  /** Undefined when it cannot be shared (no lockfile), or could not be read. Never rejects. */
  sharedKey: () => Promise<string | undefined>;
  /** The worktree's index (trackedIndex), listed once for the key and the project's own scripts. */
  tracked: () => Promise<string[]>;
}

/**
 * Begins reading them. The key only when `keyNow` (a new worktree, with shared outputs or stores
 * to find its install in): an update's install is usually skipped (its lockfiles unchanged), and
 * one run in place is never shared; there it is read only if the install asks for it.
 */
export function readInstallInputs(
  env: RuntimeEnvironment,
  installs: SharedInstalls | undefined,
  keyNow = false,
): InstallReads {
  const command = env.manifest.install;
  const manager = detectPackageManager(env.rootDir);
  const lockfiles = command ? installHash(env.rootDir, command) : undefined;
  const hash = lockfiles ?? Promise.resolve(undefined);
  const sharing = installs?.sharing ?? "package-manager";
  let index: Promise<string[]> | undefined;
  const listed = env.checkoutIndex;
  const tracked = () =>
    (index ??= listed ? listed.catch(() => trackedIndex(env.rootDir)) : trackedIndex(env.rootDir));
  let key: Promise<string | undefined> | undefined;
  const sharedKey = () =>
    (key ??= command
      ? sharedInstallKey(env.rootDir, command, {
          sharing,
          env: env.manifest.env ?? {},
          tracked,
          ...(lockfiles && { installHash: lockfiles }),
        }).catch(() => undefined)
      : Promise.resolve(undefined));
  if (keyNow) void sharedKey();
  // Awaited by runInstall; one that never runs (an earlier step failed) must not leave a rejection unhandled.
  manager.catch(() => undefined);
  hash.catch(() => undefined);
  return { manager, hash, sharedKey, tracked };
}

export interface SharedInstalls {
  sharing: InstallSharing;
  /** The package managers' shared stores (not for `full-copies`); never used for a worktree run in place. */
  stores?: InstallStores;
}

interface Install extends InstallStepOptions {
  sharing: InstallSharing;
  command: string;
  hash: string;
  manager: PackageManager | undefined;
  /** The key it is shared by, and the index it was read from (readInstallInputs). */
  sharedKey: () => Promise<string | undefined>;
  tracked: () => Promise<string[]>;
  identity: ChildIdentity | undefined;
  /** The manifest's top-level env, interpolated. */
  variables: Record<string, string>;
}

/**
 * Runs (or copies, or skips) the install. True when the files the apps' hashes read are as before
 * (app-input-hash.ts: all but `node_modules`): nothing ran (no install command, or lockfiles
 * unchanged since the last install), or only another environment's `node_modules` were copied in.
 */
export async function runInstall(options: InstallStepOptions): Promise<boolean> {
  const { env, ctx, owner, cache } = options;
  const command = env.manifest.install;
  const reads = options.reads ?? readInstallInputs(env, options.installs);
  // Each reads files the others leave alone: side by side.
  const [manager, hash, cached] = await Promise.all([reads.manager, reads.hash, cache.read()]);
  if (manager?.pinned) {
    const report = (message: string) => ctx.event({ step: "install", status: "info", message });
    await preparePackageManager(env.rootDir, manager.pinned, report);
  }
  if (!command || hash === undefined) return true;
  if (cached.install === hash) {
    ctx.event({ step: "install", status: "skipped", message: "lockfiles unchanged since the last install" });
    return true;
  }
  const sharing = options.installs?.sharing ?? "package-manager";
  const stores = env.inPlace ? undefined : options.installs?.stores;
  const install: Install = {
    ...options,
    sharing,
    command,
    hash,
    manager,
    sharedKey: reads.sharedKey,
    tracked: reads.tracked,
    identity: await childIdentity(env, owner),
    variables: sharedEnvironment(env.manifest, { env: { id: env.id, ref: env.ref, commit: env.commit } }),
  };
  if (sharing === "package-manager" && linksFromStore(manager)) {
    await (stores
      ? stores.use(manager!, install.identity, (store) => installFromStore(install, store))
      : installFromStore(install, undefined));
    return false;
  }
  return stores && manager
    ? stores.use(manager, install.identity, (store) => copyOrInstall(install, store))
    : copyOrInstall(install, undefined);
}

/** Runs the install with the package manager's shared store: it links what it already has. */
async function installFromStore(install: Install, store: StoreUse | undefined): Promise<void> {
  const { ctx, command, manager } = install;
  const key = store && (await install.sharedKey());
  const before = key !== undefined && (await store!.installedBefore(key));
  const message = before
    ? `${command} (shared: another environment installed the same lockfile and workspace manifests; ` +
      `${manager!.name} takes their packages from the shared store)`
    : command;
  ctx.event({ step: "install", status: "started", message });
  await runInstallCommand(install, store);
  await install.cache.update((record) => (record.install = install.hash));
  if (store && key) await store.installed(key);
  const done = before ? "installed from the shared store" : "installed";
  ctx.event({ step: "install", status: "succeeded", message: done });
}

/**
 * Copies another environment's install of the same inputs, or runs it and offers it to them. True
 * when it copied only `node_modules` folders and ran nothing (see runInstall).
 */
async function copyOrInstall(install: Install, store: StoreUse | undefined): Promise<boolean> {
  const { env, ctx, command, shared, identity, sharing } = install;
  // The caller passes `shared` only for a fresh worktree, so everything untracked afterwards is
  // what the install made. yarn's Plug'n'Play names its cache, in this environment's home.
  const sharedKey = shared && !install.manager?.plugAndPlay && (await install.sharedKey());
  const key = sharedKey && `install-${sharing === "full-copies" ? "" : "pm-"}${sharedKey}`;
  // Which of the project's packages have install scripts (tracked files the copy leaves alone),
  // looked up while the copy runs.
  const scripts =
    shared && key && sharing === "package-manager"
      ? settled(ownInstallScripts(env.rootDir, install.tracked))
      : undefined;
  if (shared && key && (await shared.restore(key, env.rootDir, identity, { spare: true }))) {
    const message = "copied from another environment's install of the same lockfiles";
    ctx.event({ step: "install", status: "skipped", message });
    const own = scripts ? await scripts.then((outcome) => outcome()) : [];
    await runOwnScripts(install, own);
    await install.cache.update((record) => (record.install = install.hash));
    return own.length === 0 && (await shared.holdsOnly(key, "node_modules"));
  }
  ctx.event({ step: "install", status: "started", message: command });
  await runInstallCommand(install, store);
  await install.cache.update((record) => (record.install = install.hash));
  if (shared && key) {
    await share(ctx, "install", async () =>
      shared.save(key, env.rootDir, await untrackedEntries(env.rootDir), undefined, { reader: identity }),
    );
  }
  ctx.event({ step: "install", status: "succeeded", message: "installed" });
  return false;
}

/** After a copy: the project's own install scripts, which may read files the key does not cover. */
async function runOwnScripts(install: Install, packages: PackageScripts[]): Promise<void> {
  const { env, ctx } = install;
  if (packages.length === 0) return;
  const list = packages.map((p) => `${p.scripts.join(", ")} in ${p.dir}`).join("; ");
  ctx.event({
    step: "install",
    status: "started",
    message: `the project's own install scripts, with this branch's files: ${list}`,
  });
  for (const { dir, scripts } of packages) {
    for (const script of scripts) {
      const command = scriptCommand(install.manager?.name, script);
      await runInstallCommand({ ...install, command }, undefined, join(env.rootDir, dir));
    }
  }
  ctx.event({ step: "install", status: "succeeded", message: "the project's own install scripts ran" });
}

async function runInstallCommand(install: Install, store: StoreUse | undefined, cwd?: string): Promise<void> {
  const { env, ctx, owner, command } = install;
  const result = await runCommand({
    command,
    cwd: cwd ?? env.rootDir,
    labels: { owner, envId: env.id, role: "install", name: "install" },
    output: install.output,
    logApp: "previewd",
    signal: ctx.signal,
    // The manifest's env wins: a project that sets its own store or cache keeps it.
    env: { ...store?.variables(), ...install.variables },
    identity: install.identity,
  });
  if (result.exitCode !== 0) {
    const message = `install failed: \`${command}\` exited with code ${result.exitCode}`;
    throw new ProvisionError(message, "install", undefined, result.tail);
  }
}
