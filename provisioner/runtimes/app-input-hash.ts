/**
 * What decides an app's build and process, as hashes per app (shared by every runtime): the
 * files under the app's path, every file under no other app's path (shared packages, root config,
 * lockfiles), and the app's manifest entry. Changing `apps/web/**` changes web's hashes only;
 * changing `packages/shared/**` changes everyone's. Git lists and hashes the files, which works
 * for committed and uncommitted worktrees alike; `.gitignore`d output and node_modules never count.
 * The build hash covers only what a build reads (files, install, `build`, its build environment,
 * the docker block), so a change to `env`, `start`, `release` or `health` restarts without a rebuild.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { promisify } from "node:util";
import { SourceError } from "../errors.ts";
import { worktreeGitArgs } from "../sources/worktree-git.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";

const run = promisify(execFile);

/** The manifest file is covered by each app's own entry, so editing one app's entry restarts that app only. */
const manifestFile = "preview.yaml";

function normalize(path: string): string {
  const p = posix.normalize(path.replaceAll("\\", "/")).replace(/\/+$/, "");
  return p === "." || p === "" ? "" : p;
}

function under(file: string, dir: string): boolean {
  return dir === "" || file === dir || file.startsWith(`${dir}/`);
}

async function git(rootDir: string, args: string[], input?: string): Promise<string> {
  const where = await worktreeGitArgs(rootDir);
  const child = run("git", [...where, ...args], { maxBuffer: 512 * 1024 * 1024, encoding: "utf8" });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  try {
    return (await child).stdout;
  } catch (error) {
    const why = (error as { stderr?: string }).stderr?.trim().split("\n")[0];
    const message = `cannot hash the inputs in ${rootDir}: git ${args[0]} failed${why ? `: ${why}` : ""}`;
    throw new SourceError(message, { cause: error });
  }
}

/** An index entry of `git ls-files -s`: `<mode> <object> <stage>`. */
const indexEntry = /^(\d{6}) ([0-9a-f]{40,64}) (\d)$/;

/**
 * Every file git sees in `rootDir` (tracked, or untracked and not ignored), with its content hash.
 * A tracked file the worktree has as committed or staged takes its hash from the index, as git
 * checks it (by stat, and by content where the stat changed); one it changed (listed again by
 * `-m`), and an untracked one, is hashed from disk. With `trackedOnly` (see AppHashOptions) the
 * index entries alone.
 */
async function fileHashes(
  rootDir: string,
  trackedOnly?: () => Promise<readonly string[]>,
): Promise<Map<string, string>> {
  const args = ["ls-files", "-s", "-m", "-o", "--exclude-standard", "--exclude=node_modules", "-z"];
  const indexed = new Map<string, { mode: string; object: string }>();
  const onDisk = new Set<string>();
  // A listing that failed is asked for again, so that a failure says what could not be hashed.
  const tracked = await trackedOnly?.().catch(() => undefined);
  const lines = tracked ?? (await git(rootDir, args)).split("\0");
  for (const line of lines) {
    if (!line) continue;
    const tab = line.indexOf("\t");
    const entry = tab < 0 ? undefined : indexEntry.exec(line.slice(0, tab));
    const file = entry ? line.slice(tab + 1) : line; // An untracked file is listed by its path alone.
    if (file.split("/").includes("node_modules") || file === manifestFile) continue;
    if (!entry || entry[3] !== "0" || indexed.has(file)) {
      onDisk.add(file); // Untracked, unmerged, or listed again as changed.
      indexed.delete(file);
    } else if (!onDisk.has(file)) indexed.set(file, { mode: entry[1]!, object: entry[2]! });
  }
  const hashes = new Map<string, string>();
  const files: string[] = [];
  for (const [file, { mode, object }] of indexed) {
    if (mode === "120000") hashes.set(file, `link:${await readlink(join(rootDir, file))}`);
    else if (mode !== "160000") hashes.set(file, object); // Not a submodule's commit: a folder here.
  }
  for (const file of onDisk) {
    const stat = await lstat(join(rootDir, file)).catch(() => undefined);
    if (!stat) continue; // Deleted in the worktree but still in the index.
    if (stat.isSymbolicLink()) hashes.set(file, `link:${await readlink(join(rootDir, file))}`);
    else if (stat.isFile()) files.push(file);
  }
  if (files.length > 0) {
    // hash-object reads --stdin-paths relative to the repository's top level, not to -C: pass absolute paths.
    const paths = files.map((file) => join(rootDir, file)).join("\n") + "\n";
    const out = (await git(rootDir, ["hash-object", "--stdin-paths"], paths)).split("\n");
    files.forEach((file, i) => hashes.set(file, out[i] ?? ""));
  }
  // In path order, as before: what hashes them all together reads them in this order.
  return new Map([...hashes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Which files count for an app (paths relative to the monorepo root): its own folder, plus
 * everything under no other app's or command service's folder, but not the manifest, which counts through the app's
 * own entry (so a change to another app's entry, or to this one's `env`, rebuilds nothing). The
 * docker runtime hashes its build contexts by it too.
 */
export function appOwnsFile(manifest: Manifest, app: string): (file: string) => boolean {
  const own = normalize(manifest.apps[app]?.path ?? ".");
  // A command service's folder (a twin, say) is its own too: its code restarts the service, not the apps.
  const services = Object.values(manifest.services).flatMap((spec) =>
    spec.type === "command" ? [spec.path] : [],
  );
  const others = [...Object.values(manifest.apps).map((spec) => spec.path), ...services]
    .map(normalize)
    // An app at the root claims nothing exclusively: its siblings still see the shared files.
    .filter((path) => path !== own && path !== "");
  return (file) => file !== manifestFile && (under(file, own) || !others.some((dir) => under(file, dir)));
}

/** Whether the app's own folder lies below `dir`: appOwnsFile owns paths there though not `dir`'s. */
export function appFolderBelow(manifest: Manifest, app: string): (dir: string) => boolean {
  const own = normalize(manifest.apps[app]?.path ?? ".");
  return (dir) => own.startsWith(`${dir}/`);
}

export interface AppHashes {
  /** Decides the app's build: its files, `install`, `build`, build environment and docker block. */
  build: string;
  /** Decides whether it restarts: the build hash's inputs and the rest of its entry, and the top-level env. */
  input: string;
  /**
   * The build hash without the files: builds of one family differ in their files alone, so the
   * nearest one may seed an incremental build of another (build-seeds.ts).
   */
  family: string;
  /** The files the build hash covers: path → content hash. */
  files: ReadonlyMap<string, string>;
}

export interface AppHashOptions {
  /**
   * Each app's build environment, interpolated (buildEnvironment()): what it bakes in may name the
   * environment, so the hashes do too. Without it the manifest's templates count as written.
   */
  buildEnvironments?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  only?: readonly string[];
  /**
   * The worktree's index entries (`git ls-files -s -z`, install-key.ts trackedIndex), given when
   * it holds exactly what is tracked, as checked out: then nothing is changed or untracked, and
   * the listing the install reads serves the hashes too (a git process fewer).
   */
  trackedOnly?: () => Promise<readonly string[]>;
}

/** The build and input hashes of every app in the manifest (or of `only`), listing and hashing the files once. */
export async function appHashes(
  rootDir: string,
  manifest: Manifest,
  options: AppHashOptions = {},
): Promise<Record<string, AppHashes>> {
  const files = await fileHashes(rootDir, options.trackedOnly);
  const result: Record<string, AppHashes> = {};
  for (const app of options.only ?? Object.keys(manifest.apps)) {
    const spec = manifest.apps[app];
    const owns = appOwnsFile(manifest, app);
    const built = options.buildEnvironments?.[app];
    const buildEnv = built ?? { env: manifest.env ?? {}, build_env: spec?.build_env ?? {} };
    const install = manifest.install ?? null;
    const entry = JSON.stringify({
      app,
      path: spec?.path,
      install,
      build: spec?.build,
      buildEnv,
      docker: spec?.docker,
    });
    const build = createHash("sha256").update(entry);
    // Unchanged for a manifest without `env` or build variables, so upgrading restarts nothing.
    const variables = Object.keys(built ?? {}).length > 0 ? built : undefined;
    const input = createHash("sha256").update(
      JSON.stringify({ app, spec: spec ?? null, install, env: manifest.env, buildEnv: variables }),
    );
    const owned = new Map<string, string>();
    for (const [file, content] of files) {
      if (!owns(file)) continue;
      owned.set(file, content);
      build.update(`\0${file}\0${content}`);
      input.update(`\0${file}\0${content}`);
    }
    result[app] = {
      build: build.digest("hex"),
      input: input.digest("hex"),
      family: createHash("sha256").update(entry).digest("hex"),
      files: owned,
    };
  }
  return result;
}

/** The input hash of every app in the manifest (or of `only`). */
export async function appInputHashes(
  rootDir: string,
  manifest: Manifest,
  only?: readonly string[],
): Promise<Record<string, string>> {
  const hashes = await appHashes(rootDir, manifest, { ...(only && { only }) });
  return Object.fromEntries(Object.entries(hashes).map(([app, { input }]) => [app, input]));
}

export async function appInputHash(rootDir: string, manifest: Manifest, app: string): Promise<string> {
  return (await appInputHashes(rootDir, manifest, [app]))[app] ?? "";
}
