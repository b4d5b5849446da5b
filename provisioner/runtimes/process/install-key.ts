/**
 * What decides an install: the hash a worktree's last install is remembered by (step-cache.ts),
 * and the key under which installs are shared between environments.
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { worktreeGitArgs } from "../../sources/worktree-git.ts";

const run = promisify(execFile);

/**
 * How installs are shared between environments:
 * - `package-manager` (default): keyed on what the package manager reads; pnpm and yarn share
 *   their own store or cache (install-stores.ts) and run every install, so the project's own
 *   install scripts always see the branch's files; npm's installs are copied, then the project's
 *   own install scripts run again (lifecycle-scripts.ts).
 * - `full-copies`: the way before: every install copied whole, and keyed on every tracked file
 *   when the project's own packages run install scripts. Kept to compare against.
 */
export const installSharingModes = ["package-manager", "full-copies"] as const;
export type InstallSharing = (typeof installSharingModes)[number];

export const lockfiles = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "bun.lock",
  "bun.lockb",
];

/** The lockfiles' content and the command: unchanged, a worktree's install is skipped. */
export async function installHash(rootDir: string, command: string): Promise<string> {
  const hash = createHash("sha256").update(command).update("\0");
  for (const name of lockfiles) {
    const content = await readFile(join(rootDir, name)).catch(() => undefined);
    if (content) hash.update(name).update("\0").update(content).update("\0");
  }
  return hash.digest("hex");
}

/**
 * Files besides the lockfiles that a package manager reads when it installs: package manifests,
 * settings, patches, pnpm's hooks, yarn's plugins and releases, and the Prisma schemas
 * `@prisma/client` generates from on install.
 */
export const installInputs =
  /(^|\/)(package\.json|\.npmrc|\.yarnrc(\.yml)?|pnpm-workspace\.yaml|\.pnpmfile\.[cm]?js|bunfig\.toml|[^/]+\.prisma)$|(^|\/)patches\/|(^|\/)\.yarn\/(patches|plugins|releases)\//;
const lifecycleScripts = ["preinstall", "install", "postinstall", "prepare"];

export interface SharedInstallKeyOptions {
  sharing?: InstallSharing;
  /** The manifest's top-level `env` as written (before interpolation): install runs with it. */
  env?: Record<string, string>;
  /** The worktree's index, if read already (trackedIndex); else read here. */
  tracked?: () => Promise<string[]>;
  /** installHash of the same worktree and command, if read already; else read here. */
  installHash?: Promise<string>;
}

/**
 * The worktree's index, `git ls-files -s`: `<mode> <blob> <stage>\t<path>` per tracked file (an
 * unmerged one once per stage). The install's key and its own scripts read it from one listing.
 */
export async function trackedIndex(rootDir: string): Promise<string[]> {
  const { stdout } = await run("git", [...(await worktreeGitArgs(rootDir)), "ls-files", "-s", "-z"], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout.split("\0").filter(Boolean);
}

/**
 * The key under which an install is shared with other environments, or undefined when it cannot be
 * shared safely: without a lockfile nothing pins what gets installed. Beyond the lockfiles it
 * covers the tracked install inputs, the command, the top-level env, and Node's version,
 * platform and architecture (native addons). Not the other files, even when the project's own
 * packages run install scripts: those run again for every environment. Only `full-copies`, which
 * copies what they made, covers every tracked file then.
 */
export async function sharedInstallKey(
  rootDir: string,
  command: string,
  options: SharedInstallKeyOptions = {},
): Promise<string | undefined> {
  const present = await Promise.all(
    lockfiles.map((name) =>
      stat(join(rootDir, name)).then(
        () => true,
        () => false,
      ),
    ),
  );
  if (!present.some(Boolean)) return undefined;
  const hash = createHash("sha256").update(await (options.installHash ?? installHash(rootDir, command)));
  hash.update(`\0${process.version}\0${process.platform}\0${process.arch}`);
  const fullCopies = options.sharing === "full-copies";
  if (!fullCopies) hash.update(`\0package-manager\0${JSON.stringify(options.env ?? {})}`);
  // `<mode> <blob> <stage>\t<path>`: the blob hash stands for the content.
  const tracked = await (options.tracked ?? (() => trackedIndex(rootDir)))();
  let scripted = false;
  for (const line of tracked) {
    const path = line.slice(line.indexOf("\t") + 1);
    if (!installInputs.test(path)) continue;
    hash.update(`\0${line}`);
    if (fullCopies && path.endsWith("package.json") && !scripted) {
      scripted = await runsInstallScripts(join(rootDir, path));
    }
  }
  if (scripted) for (const line of tracked) hash.update(`\0${line}`);
  return hash.digest("hex");
}

/** The install scripts a package.json declares, in the order package managers run them. */
export async function installScriptsOf(file: string): Promise<string[] | undefined> {
  try {
    const scripts = (JSON.parse(await readFile(file, "utf8")) as { scripts?: Record<string, unknown> })
      .scripts;
    return lifecycleScripts.filter((name) => typeof scripts?.[name] === "string");
  } catch {
    return undefined;
  }
}

async function runsInstallScripts(file: string): Promise<boolean> {
  const scripts = await installScriptsOf(file);
  return scripts === undefined || scripts.length > 0; // Unreadable: assume the worst.
}
