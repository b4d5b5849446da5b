/**
 * Which package manager a monorepo uses: the root package.json's `packageManager`
 * (`pnpm@9.15.0+sha512.…`, what corepack runs), else its lockfile. Decides where installs share
 * their downloads (install-stores.ts) and whether corepack fetches a pinned version (corepack.ts).
 */
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { exists } from "../../sources/fs-checks.ts";

export type PackageManagerName = "npm" | "pnpm" | "yarn" | "bun";

export interface PackageManager {
  name: PackageManagerName;
  /** `packageManager` when it pins pnpm or yarn: corepack fetches exactly this. */
  pinned?: PinnedPackageManager;
  /** yarn 2 and later (berry): settings in `.yarnrc.yml`, packages in a global cache. */
  berry: boolean;
  /** yarn berry's Plug'n'Play: apps read packages from the cache at run time, not from node_modules. */
  plugAndPlay: boolean;
}

export interface PinnedPackageManager {
  /** As written: `pnpm@9.15.0+sha512.…`. */
  spec: string;
  name: "pnpm" | "yarn";
  /** `9.15.0` */
  version: string;
  /** Whether it carries a hash that corepack checks the download against. */
  hashed: boolean;
}

const lockfiles: [string, PackageManagerName][] = [
  ["pnpm-lock.yaml", "pnpm"],
  ["yarn.lock", "yarn"],
  ["bun.lock", "bun"],
  ["bun.lockb", "bun"],
  ["package-lock.json", "npm"],
  ["npm-shrinkwrap.json", "npm"],
];

/** `pnpm@9.15.0`, `yarn@4.5.0+sha224.…`: a name, an exact version, an optional hash. */
const pinnedSpec = /^(pnpm|yarn)@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(\+[a-z0-9]+\.[0-9a-f]+)?$/;

export function parsePinned(spec: string): PinnedPackageManager | undefined {
  const match = pinnedSpec.exec(spec.trim());
  if (!match) return undefined;
  return {
    spec: spec.trim(),
    name: match[1] as "pnpm" | "yarn",
    version: match[2]!,
    hashed: match[3] !== undefined,
  };
}

/**
 * The root package.json's `packageManager`, or undefined without one (or without a package.json).
 * previewd reads it, and corepack fetches what it names, as previewd's user (root, maybe): a
 * package.json that is a link (to a file of that user's, say) counts as none.
 */
export async function packageManagerField(rootDir: string): Promise<string | undefined> {
  const file = join(rootDir, "package.json");
  if (
    !(await lstat(file).then(
      (info) => info.isFile(),
      () => false,
    ))
  )
    return undefined;
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const field = (JSON.parse(text) as { packageManager?: unknown }).packageManager;
    return typeof field === "string" ? field : undefined;
  } catch {
    return undefined; // The package manager itself says what is wrong with the file.
  }
}

/** Undefined: neither `packageManager` nor a lockfile says. */
export async function detectPackageManager(rootDir: string): Promise<PackageManager | undefined> {
  const field = await packageManagerField(rootDir);
  const pinned = field === undefined ? undefined : parsePinned(field);
  let name = pinned?.name ?? (field?.split("@")[0] as PackageManagerName | undefined);
  if (!name || !lockfiles.some(([, known]) => known === name)) {
    name = undefined;
    for (const [file, manager] of lockfiles) {
      if (await exists(join(rootDir, file))) {
        name = manager;
        break;
      }
    }
  }
  if (!name) return undefined;
  const berry =
    name === "yarn" &&
    (pinned ? !pinned.version.startsWith("1.") : await exists(join(rootDir, ".yarnrc.yml")));
  return {
    name,
    ...(pinned && { pinned }),
    berry,
    plugAndPlay: berry && (await yarnLinker(rootDir)) === "pnp",
  };
}

/** yarn berry's `nodeLinker` (default `pnp`). */
async function yarnLinker(rootDir: string): Promise<string> {
  const text = await readFile(join(rootDir, ".yarnrc.yml"), "utf8").catch(() => "");
  try {
    const linker = (parse(text) as { nodeLinker?: unknown } | null)?.nodeLinker;
    return typeof linker === "string" ? linker : "pnp";
  } catch {
    return "pnp";
  }
}
