/**
 * Where a `postgres` service's files live.
 *
 * Not root: Postgres runs as previewd's own user, and everything stays in the data dir (each
 * cluster in `<env data dir>/services/<name>`, templates in the cache) and `node_modules`.
 *
 * Root: Postgres refuses to run as root, so it runs as the `postgres` OS user (postgres-user.ts),
 * which cannot enter a folder only its owner may (`/root`, `mktemp -d`), where the data dir and
 * the checkout often are. Rather than loosening a user's folders, everything that user must reach
 * lives under a folder previewd owns and keeps traversable, {@link rootHome}:
 *
 *     postgres/<platform>-<version>/          the binaries, copied once (postgres-binaries-copy.ts)
 *     templates/                              initialised clusters to copy (postgres-template.ts)
 *     <owner>/environments/<env>/<service>/   each cluster, owned by postgres, 0700
 *
 * `<owner>` is the data dir's owner id (a hash of its path), so a restarted previewd finds its
 * clusters again. Binaries and templates are the same for every data dir and shared by them.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, readdir, rmdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { ProvisionError, errorMessage } from "../../errors.ts";
import { exists } from "../../sources/fs-checks.ts";
import { sha256Hex } from "../../sources/slug.ts";
import { loadPostgresBinaries, type PostgresBinaries } from "../postgres-binaries.ts";
import { copiedBinaries } from "./postgres-binaries-copy.ts";
import { postgresRunAs, type RunAs } from "./postgres-user.ts";
import { helperEnvironment } from "../../tar-stream.ts";
import { removeTree } from "../../remove-tree.ts";

const run = promisify(execFile);

export const rootHome = "/var/lib/previewd";

/** Copied binaries the postgres user was seen running, in this process. */
const ranBinaries = new Set<string>();

/**
 * Homes whose folders the postgres user (by uid) was seen entering, in this process. Below a home
 * every folder is previewd's own, made 0755 (traversableDirs): what decides whether a new
 * environment's folder is reachable lies above it, the same for every environment.
 */
const enteredHomes = new Set<string>();

export interface PostgresPlace {
  /** Who runs initdb and postgres; undefined: previewd's own user. */
  runAs: RunAs | undefined;
  binaries: PostgresBinaries;
  /** Where initialised clusters are kept to be copied; undefined: initdb for each cluster. */
  templatesDir: string | undefined;
  /** The cluster's data dir (not created yet). */
  clusterDir: string;
  /** A folder beside it for short-lived files `runAs` must read (initdb's password file). */
  scratchDir: string;
}

export interface PlaceOptions {
  owner: string;
  envId: string;
  /** The environment's data dir: the cluster's place when previewd is not root. */
  envDataDir: string;
  /** The service's name. */
  name: string;
  /** The data dir's template folder; when given, clusters are copied from templates. */
  templatesDir?: string | undefined;
  /** Root only: the folder the layout above lives in (tests give another). */
  home?: string;
}

export function servicesDir(envDataDir: string): string {
  return join(envDataDir, "services");
}

export const isRoot = () => process.getuid?.() === 0;

/** An owner id is a path segment here: anything but a plain name is hashed. */
export function ownerDir(home: string, owner: string): string {
  return join(home, /^[A-Za-z0-9_-]{1,64}$/.test(owner) ? owner : sha256Hex(owner, 12));
}

/** Finds (and makes, with the owners and modes it needs) where the service's cluster lives. */
export async function postgresPlace(options: PlaceOptions): Promise<PostgresPlace> {
  try {
    return await place(options);
  } catch (error) {
    if (error instanceof ProvisionError) throw error;
    throw new ProvisionError(errorMessage(error), "services", options.name, [], { cause: error });
  }
}

async function place(options: PlaceOptions): Promise<PostgresPlace> {
  const binaries = await loadPostgresBinaries();
  const runAs = await postgresRunAs();
  if (!runAs) {
    const scratchDir = servicesDir(options.envDataDir);
    await mkdir(scratchDir, { recursive: true });
    return {
      runAs,
      binaries,
      templatesDir: options.templatesDir,
      clusterDir: join(scratchDir, options.name),
      scratchDir,
    };
  }
  const home = options.home ?? rootHome;
  const envDir = join(ownerDir(home, options.owner), "environments", options.envId);
  const binariesDir = join(home, "postgres");
  const templatesDir = options.templatesDir === undefined ? undefined : join(home, "templates");
  // A restart of a running cluster, or a second service, finds the folder there: it holds data.
  const existed = await exists(envDir);
  try {
    const dirs = [envDir, binariesDir, ...(templatesDir ? [templatesDir] : [])];
    for (const dir of dirs) await traversableDirs(home, dir);
    // Folders first (one shell for all; it names the first it cannot enter): no copy of the
    // binaries where they could not be run anyway.
    const enter = 'for dir; do test -x "$dir" || { printf "%s" "$dir"; exit 1; }; done';
    const entered = `${runAs.uid}:${home}`;
    if (!enteredHomes.has(entered)) {
      await checkReach(runAs, dirs, "sh", ["-c", enter, "sh", ...dirs], options.name);
      enteredHomes.add(entered);
    }
    const copy = await copiedBinaries(binaries, binariesDir);
    // Whether that user may run the copy (a file system mounted noexec, say): once per copy.
    if (!ranBinaries.has(copy.postgres)) {
      await checkReach(runAs, [copy.postgres], copy.postgres, ["--version"], options.name);
      ranBinaries.add(copy.postgres);
    }
    return {
      runAs,
      binaries: copy,
      templatesDir,
      clusterDir: join(envDir, options.name),
      scratchDir: envDir,
    };
  } catch (error) {
    // Nothing this call made stays; the binaries and templates are caches, kept.
    if (!existed) await removePostgresData(options.owner, options.envId, home).catch(() => undefined);
    throw error;
  }
}

/**
 * `dir` and every folder between `home` and it, made if missing and set to 0755: they are
 * previewd's own. Folders above `home` are left as they are; checkReach says if they are a problem.
 */
export async function traversableDirs(home: string, dir: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // Another environment's delete may remove an empty parent at that very moment: try again.
    const made = await mkdir(dir, { recursive: true, mode: 0o755 }).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT" || attempt === 3) throw error;
        return false;
      },
    );
    if (made) break;
  }
  const parts = relative(home, dir).split(sep).filter(Boolean);
  // The mode given to mkdir is masked by the umask (077 is common for root): set it outright.
  for (let i = 0; i <= parts.length; i++) await chmod(join(home, ...parts.slice(0, i)), 0o755);
}

/**
 * Whether `runAs` can reach `what`, asked of a process running as that user (`command args`):
 * as root, `fs.access` answers for root, and modes alone miss ACLs, mounts and LSMs.
 */
async function checkReach(
  runAs: RunAs,
  paths: readonly string[],
  command: string,
  args: string[],
  name: string,
): Promise<void> {
  const options = { uid: runAs.uid, gid: runAs.gid, cwd: "/", env: helperEnvironment() };
  await run(command, args, options).catch((error: unknown) => {
    // The check names what it could not reach on its stdout, when it checks several.
    const named = (error as { stdout?: string }).stdout;
    const what = named && paths.includes(named) ? named : paths.join(", ");
    throw new ProvisionError(
      `the postgres OS user (uid ${runAs.uid}) cannot reach ${what}: every folder above it must ` +
        `let others enter (mode o+x), and its file system must allow running programs`,
      "services",
      name,
      [errorMessage(error)],
      { cause: error },
    );
  });
}

/** Removes the environment's clusters kept outside its data dir (root only), and folders left empty. */
export async function removePostgresData(owner: string, envId: string, home = rootHome): Promise<void> {
  if (!isRoot()) return;
  const environments = join(ownerDir(home, owner), "environments");
  await removeTree(join(environments, envId));
  await removeIfEmpty(environments);
}

/** Removes the clusters of environments not in `keep` (root only); returns their ids. */
export async function removeOrphanPostgresData(
  owner: string,
  keep: ReadonlySet<string>,
  home = rootHome,
): Promise<string[]> {
  if (!isRoot()) return [];
  const environments = join(ownerDir(home, owner), "environments");
  const orphans = (await readdir(environments).catch(() => [] as string[])).filter((id) => !keep.has(id));
  for (const id of orphans) await removeTree(join(environments, id));
  await removeIfEmpty(environments);
  return orphans;
}

/** An owner with no environment left leaves no folder behind (tests make many owners). */
/** Removes `dir` and then its parent, each only if empty (another environment's files keep them). */
export async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => undefined);
  await rmdir(join(dir, "..")).catch(() => undefined);
}
