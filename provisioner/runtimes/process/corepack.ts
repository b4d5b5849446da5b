/**
 * pnpm and yarn at the version the repo's `packageManager` pins, for every command previewd runs
 * (install, builds, releases, services, apps): corepack (bundled with Node) fetches that version
 * into a COREPACK_HOME previewd owns, and a folder of small shims first on every child's PATH
 * (child-identity.ts) runs it. A shim walks up from its working directory like corepack does: the
 * nearest package.json with a `packageManager` naming its tool runs through corepack; anywhere
 * else it runs the next one on PATH, as if previewd were not there.
 *
 * Root: `/var/lib/previewd/corepack` (beside the Postgres binaries, shared by every data dir),
 * written by previewd only, readable by `previewd-run`: an app cannot swap another environment's
 * pnpm. Not root: `~/.cache/previewd/corepack`.
 *
 * previewd fetches a pinned version itself before any command runs ({@link preparePackageManager}).
 * Some registries (mirrors, proxies) serve metadata without the npm signatures corepack checks
 * (`No compatible signature found`, `Cannot find matching keyid`): then previewd fetches again
 * with COREPACK_INTEGRITY_KEYS=0 and says so. A hash in `packageManager` (`+sha512.…`) is
 * checked instead of signatures, always: such a spec never needs that.
 */
import { writeFileAtomic } from "../../atomic-file.ts";
import { execFile } from "node:child_process";
import { mkdir, readdir } from "node:fs/promises";
import os from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ProvisionError, errorMessage } from "../../errors.ts";
import { exists } from "../../sources/fs-checks.ts";
import type { PinnedPackageManager } from "./package-manager.ts";
import { isRoot, rootHome, traversableDirs } from "./postgres-home.ts";
import { removeTree } from "../../remove-tree.ts";

const run = promisify(execFile);

export interface CorepackPlace {
  /** COREPACK_HOME: the versions corepack fetched. */
  home: string;
  /** The shims put first on PATH. */
  bin: string;
}

export function defaultCorepackPlace(): CorepackPlace {
  const dir = isRoot()
    ? join(rootHome, "corepack")
    : join(process.env.XDG_CACHE_HOME || join(os.homedir(), ".cache"), "previewd", "corepack");
  return { home: join(dir, "home"), bin: join(dir, "bin") };
}

const npmRegistry = () =>
  process.env.COREPACK_NPM_REGISTRY || process.env.npm_config_registry || "https://registry.npmjs.org";

/** What every child gets so that its `pnpm` and `yarn` are the pinned ones. */
export function corepackVariables(
  path: string | undefined,
  place: CorepackPlace = defaultCorepackPlace(),
): Record<string, string> {
  return {
    PATH: path ? `${place.bin}:${path}` : place.bin,
    COREPACK_HOME: place.home,
    // Never ask on a terminal nobody watches, never write `packageManager` into a repo.
    COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
    COREPACK_ENABLE_AUTO_PIN: "0",
    // yarn berry from the npm registry (@yarnpkg/cli-dist) rather than repo.yarnpkg.com.
    COREPACK_NPM_REGISTRY: npmRegistry(),
  };
}

/** The tools the shims stand for, and what corepack calls them. */
const tools: Record<string, { manager: "pnpm" | "yarn"; corepackName: string }> = {
  pnpm: { manager: "pnpm", corepackName: "pnpm" },
  pnpx: { manager: "pnpm", corepackName: "pnpx" },
  yarn: { manager: "yarn", corepackName: "yarn" },
  yarnpkg: { manager: "yarn", corepackName: "yarnpkg" },
};

function shim(tool: string, manager: string, corepackName: string, corepack: string, bin: string): string {
  return `#!/bin/sh
# Written by previewd (corepack.ts): the ${manager} the nearest package.json's "packageManager"
# pins, through corepack; without one, the next ${tool} on PATH.
dir=$PWD
while :; do
  case "$dir/" in
    */node_modules/*) ;;
    *)
      if [ -f "$dir/package.json" ] && grep -q '"packageManager"' "$dir/package.json" 2>/dev/null; then
        if grep -Eq '"packageManager"[[:space:]]*:[[:space:]]*"${manager}@' "$dir/package.json"; then
          exec '${corepack}' ${corepackName} "$@"
        fi
        break
      fi
      ;;
  esac
  [ "$dir" = / ] && break
  dir=$(dirname -- "$dir")
done
set -f
IFS=:
for entry in $PATH; do
  [ -z "$entry" ] || [ "$entry" = '${bin}' ] && continue
  [ -x "$entry/${tool}" ] && [ ! -d "$entry/${tool}" ] && exec "$entry/${tool}" "$@"
done
echo "${tool}: not found: no package.json here pins ${manager} (\\"packageManager\\") and none is on PATH" >&2
exit 127
`;
}

/** corepack beside the running node (Node 20 bundles it), else from PATH. */
async function corepackPath(): Promise<string> {
  const beside = join(dirname(process.execPath), "corepack");
  return (await exists(beside)) ? beside : "corepack";
}

const shimsWritten = new Map<string, Promise<void>>();

/** Writes the shims (once per process and place; replaced whole, never half-written). */
export function writeShims(place: CorepackPlace): Promise<void> {
  let written = shimsWritten.get(place.bin);
  if (!written) {
    written = (async () => {
      await makeDir(place.bin);
      const corepack = await corepackPath();
      for (const [tool, { manager, corepackName }] of Object.entries(tools)) {
        const file = join(place.bin, tool);
        await writeFileAtomic(file, shim(tool, manager, corepackName, corepack, place.bin), { mode: 0o755 });
      }
    })();
    written.catch(() => shimsWritten.delete(place.bin));
    shimsWritten.set(place.bin, written);
  }
  return written;
}

async function makeDir(dir: string): Promise<void> {
  if (isRoot() && dir.startsWith(`${rootHome}/`)) await traversableDirs(rootHome, dir);
  else await mkdir(dir, { recursive: true });
}

/** corepack's message when the registry's metadata lacks the signatures it checks. */
const signatureFailure =
  /No compatible signature found|Cannot find matching keyid|not signed by any trusted keys|Signature does not match/i;

const fetching = new Map<string, Promise<void>>();
/** Fetches running now: corepack's leftovers are removed only when none is. */
let running = 0;

/**
 * Makes sure corepack has `pinned` (fetching it if needed) before any command runs it, so that no
 * child ever fetches (as root its COREPACK_HOME is read-only to them). `report` hears, once per
 * fetch, that the signature check was skipped and why.
 */
export function preparePackageManager(
  rootDir: string,
  pinned: PinnedPackageManager,
  report: (message: string) => void,
  place: CorepackPlace = defaultCorepackPlace(),
): Promise<void> {
  const key = `${place.home}\0${pinned.spec}`;
  let prepared = fetching.get(key);
  if (!prepared) {
    prepared = fetchPinned(rootDir, pinned, report, place);
    // A failure is tried again by the next environment; a success is remembered.
    prepared.catch(() => fetching.delete(key));
    fetching.set(key, prepared);
  }
  return prepared;
}

async function fetchPinned(
  rootDir: string,
  pinned: PinnedPackageManager,
  report: (message: string) => void,
  place: CorepackPlace,
): Promise<void> {
  await writeShims(place);
  if (await exists(join(place.home, "v1", pinned.name, pinned.version))) return;
  await makeDir(place.home);
  running++;
  const corepack = await corepackPath();
  const install = (extra: Record<string, string>) =>
    run(corepack, ["install"], {
      cwd: rootDir,
      env: {
        ...withoutNpmVariables(process.env),
        ...corepackVariables(process.env.PATH, place),
        // The repo's `.corepack.env` must not steer previewd's own corepack (its registry, its keys).
        COREPACK_ENV_FILE: "0",
        ...extra,
      },
      timeout: 5 * 60_000,
    });
  try {
    await install({});
  } catch (error) {
    const why = outputOf(error);
    if (!signatureFailure.test(why)) throw fetchFailed(pinned, why, error);
    try {
      await install({ COREPACK_INTEGRITY_KEYS: "0" });
    } catch (retryError) {
      throw fetchFailed(pinned, outputOf(retryError), retryError);
    }
    const reason = signatureFailure.exec(why)?.[0] ?? "no signature";
    const checked = pinned.hashed
      ? `the hash in "packageManager" was still checked`
      : `"packageManager" has no hash, so nothing else checked the download`;
    report(
      `corepack could not verify ${pinned.spec}'s npm signature against the registry's metadata ` +
        `(${reason}): fetched it with COREPACK_INTEGRITY_KEYS=0 instead; ${checked}`,
    );
  } finally {
    running--;
    if (running === 0) await removeLeftovers(place.home);
  }
  // Readable by the user the commands run as, whatever modes the tarball or umask gave.
  if (isRoot()) await run("chmod", ["-R", "a+rX", "--", place.home]);
}

/** A failed fetch leaves corepack's temporary folder behind. */
async function removeLeftovers(home: string): Promise<void> {
  const names = await readdir(join(home, "v1")).catch(() => []);
  for (const name of names.filter((n) => n.startsWith("corepack-"))) {
    await removeTree(join(home, "v1", name));
  }
}

function withoutNpmVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !/^npm_/i.test(key)));
}

function outputOf(error: unknown): string {
  const { stderr, stdout } = error as { stderr?: string; stdout?: string };
  return `${stderr ?? ""}\n${stdout ?? ""}`.trim() || errorMessage(error);
}

function fetchFailed(pinned: PinnedPackageManager, output: string, cause: unknown): ProvisionError {
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  const first = lines.find((line) => /error/i.test(line)) ?? lines[0] ?? "no output";
  const message = `corepack could not fetch ${pinned.spec} (package.json "packageManager"): ${first.trim()}`;
  return new ProvisionError(message, "install", undefined, lines.slice(-20), { cause });
}
