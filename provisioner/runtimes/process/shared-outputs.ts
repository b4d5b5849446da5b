/**
 * Install and build outputs shared between environments, keyed by content hash: an install of
 * lockfiles that another environment already installed, or a build of an app whose inputs another
 * environment already built, becomes a copy instead of a run. An entry is a directory
 * `<dir>/<key>/` that mirrors the monorepo root and holds what the step wrote there (files git
 * does not track: `node_modules/`, `dist/`, …). It is written under a temporary name, synced and
 * renamed, so a crash or a concurrent writer never leaves half an entry; the least recently used
 * entries beyond `maxEntries`, or beyond the cache's size cap (cache-budget.ts), are removed,
 * never one being copied. Copies, never hard links: an environment that writes into its
 * `node_modules` must not change another's. Between an entry and a worktree, a `tar` stream whose
 * worktree side runs as the worktree's runner (streamCopy); spares are made ahead with reflinks
 * where the filesystem has them.
 *
 * An entry restored into a new worktree (an install, an app's build or the seed of one) also
 * keeps a spare (spare-copies.ts): one more copy, already given to the owner, in `<dir>/.spares/`.
 * The next restore of that entry for that owner moves the spare into its worktree (renames, no
 * copy): a new branch's build starts without waiting for tens of MB, or three `cp` processes
 * forked by previewd one after another, to be copied.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, lutimes, mkdir, open, readdir, readlink, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { errorMessage } from "../../errors.ts";
import type { RuntimeContext } from "../runtime.ts";
import type { CacheBudget } from "./cache-budget.ts";
import type { ChildIdentity } from "./child-identity.ts";
import { exists } from "../../sources/fs-checks.ts";
import { copyAhead, SpareCopies, sweepTemporaries } from "./spare-copies.ts";
import { worktreeGitArgs } from "../../sources/worktree-git.ts";
import { streamCopy, type RunAs } from "../../tar-stream.ts";

const run = promisify(execFile);

/**
 * What git does not track below `rootDir` (ignored files included), untracked directories
 * collapsed to one entry each (`node_modules`, `apps/web/dist`), relative to `rootDir`.
 */
export async function untrackedEntries(rootDir: string): Promise<string[]> {
  const where = await worktreeGitArgs(rootDir);
  const { stdout } = await run("git", [...where, "ls-files", "--others", "--directory", "-z"], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split("\0")
    .filter(Boolean)
    .map((entry) => entry.replace(/\/+$/, ""));
}

/**
 * Every file (and symlink) below `entries` (relative to `rootDir`) with a stamp of its size, mtime
 * and mode, or its link target: compare two to see what a step wrote. Paths `skip` names (a
 * directory with all below it) are left out, and not walked.
 */
export async function fileStamps(
  rootDir: string,
  entries: readonly string[],
  skip: (path: string) => boolean,
): Promise<Map<string, string>> {
  const stamps = new Map<string, string>();
  const visit = async (path: string): Promise<void> => {
    if (skip(path)) return;
    const info = await lstat(join(rootDir, path)).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of await readdir(join(rootDir, path))) await visit(`${path}/${name}`);
    } else if (info.isSymbolicLink()) {
      stamps.set(path, `link:${await readlink(join(rootDir, path))}`);
    } else if (info.isFile()) {
      stamps.set(path, `${info.size}:${info.mtimeMs}:${info.mode}`);
    }
  };
  for (const entry of entries) await visit(entry);
  return stamps;
}

/**
 * `fileStamps(rootDir, await untrackedEntries(rootDir), skip)` without a git process, given what
 * git tracks there (`git ls-files -s -z`'s lines, a worktree's index): the folders holding tracked
 * paths are walked as git walks them, anything else in them is an untracked entry. A folder `skip`
 * names is not walked unless `holdsKept` says a path below it is not skipped (an app's folder
 * inside another's). A worktree checked out for this provision has its commit's index
 * (RuntimeEnvironment.checkoutIndex), and each git process previewd forks pauses its event loop on
 * the way to a build and to its app's start.
 */
export async function untrackedStamps(
  rootDir: string,
  index: readonly string[],
  skip: (path: string) => boolean,
  holdsKept: (dir: string) => boolean = () => false,
): Promise<Map<string, string>> {
  const { tracked, holding } = trackedTree(index);
  const entries: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const found = await readdir(join(rootDir, dir), { withFileTypes: true }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return []; // Gone since its folder was read: git lists nothing either.
        throw error;
      },
    );
    for (const entry of found) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      const folder = entry.isDirectory();
      // git leaves out `.git` wherever it walks (the worktree's own, a repository's inside a
      // folder), and what the index names: a submodule's folder, or a tracked file now a folder.
      if (entry.name === ".git" || tracked.has(path)) continue;
      if (skip(path) && !(folder && holdsKept(path))) continue;
      if (folder && holding.has(path)) await walk(path);
      else entries.push(path);
    }
  };
  await walk("");
  return fileStamps(rootDir, entries, skip);
}

/** An index's tracked paths and the folders holding them, read once per index (a build lists twice). */
const trackedTrees = new WeakMap<readonly string[], { tracked: Set<string>; holding: Set<string> }>();

function trackedTree(index: readonly string[]): { tracked: Set<string>; holding: Set<string> } {
  const known = trackedTrees.get(index);
  if (known) return known;
  const tree = { tracked: new Set<string>(), holding: new Set<string>() };
  for (const line of index) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const path = line.slice(tab + 1);
    tree.tracked.add(path);
    for (let slash = path.indexOf("/"); slash >= 0; slash = path.indexOf("/", slash + 1))
      tree.holding.add(path.slice(0, slash));
  }
  trackedTrees.set(index, tree);
  return tree;
}

/** The paths of `after` that are new or changed since `before`. */
export function writtenSince(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([path, stamp]) => before.get(path) !== stamp).map(([path]) => path);
}

export interface RestoreOptions {
  /** Leave files already in `rootDir` as they are (a seed never overwrites an earlier build's fresh outputs). */
  keepExisting?: boolean;
  /**
   * The copies get the time of the copy, not of the build: the outputs of exactly this tree's
   * inputs are then newer than its freshly checked out files, so `tsc -b` (whose referenced
   * projects another build of this environment checks) and make-like tools see them up to date.
   * Never for a seed, which they must see as older than every input.
   */
  restamp?: boolean;
  /** Keep a spare copy of the entry for the next restore (see above). */
  spare?: boolean;
}

/**
 * Spares kept at most, the most recently made, each as large as its entry: two installs (tens
 * to hundreds of MB each), and builds for a few apps (one create restores one per app).
 */
const maxSpares = { install: 2, build: 8 };

const spareKind = (name: string): keyof typeof maxSpares => (name.startsWith("build-") ? "build" : "install");

/** Files restamped at once. */
const restampedAtOnce = 500;

/** Where the spares of the entries in `dir` live: a pool of the size cap of its own (shared-caches.ts). */
export function sparesDir(dir: string): string {
  return join(dir, ".spares");
}

export class SharedOutputs {
  /** Entries being copied out right now: eviction leaves them alone. */
  readonly #inUse = new Map<string, number>();
  readonly #spares = new SpareCopies();
  /** A save left its eviction to the next fillSpares(). */
  #evictLater = false;
  /** False once a spare could not be moved into a worktree on another file system: none are made. */
  #sparesMove = true;
  /** The size cap's pass after the last spares were made. */
  #capped: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly maxEntries = 48,
    /** The size cap shared with the package managers' stores (cache-budget.ts); none: no cap. */
    private readonly budget?: CacheBudget,
  ) {}

  /**
   * Copies entry `key` over `rootDir` (or moves a spare of it in), written as `owner` (the
   * worktree's runner, child-identity.ts, who then owns it) if given. False when there is no such
   * entry (or the copy failed).
   */
  async restore(
    key: string,
    rootDir: string,
    owner?: Pick<ChildIdentity, "uid" | "gid">,
    options: RestoreOptions = {},
  ): Promise<boolean> {
    const restored = await this.#using(key, () => this.#restore(key, rootDir, owner, options));
    if (options.spare && restored) this.wantSpare(key, owner);
    return restored;
  }

  /**
   * Asks for a spare of entry `key` for `owner`, made at the next fillSpares(): after a restore,
   * and after a build's save, so that the first restore of a new build (the nearest one seeding
   * the next branch's) moves one in too. Not after an install's: a new lockfile's `node_modules`
   * is copied once more only when another environment uses it.
   */
  wantSpare(key: string, owner?: Pick<ChildIdentity, "uid" | "gid">): void {
    if (!this.#sparesMove) return;
    const name = this.#spareName(key, owner);
    this.#spares.want(name, (signal) => this.#makeSpare(key, name, owner, signal));
  }

  /**
   * Makes, in the background, the spares restores asked for since the last call; once they are
   * made, the size cap counts them (one pass for all: it measures every pool).
   */
  fillSpares(): void {
    this.#spares.fill();
    const evict = this.#evictLater;
    this.#evictLater = false;
    this.#capped = this.#spares
      .settled()
      .then(async () => {
        if (evict) await this.#evict();
        await this.#enforceBudget();
      })
      .catch(() => undefined);
  }

  /** Once no spare is being made, and the cap has counted them (a test's end). */
  async settled(): Promise<void> {
    await this.#spares.settled();
    await this.#capped;
  }

  /** Stops the spares being made, for good (previewd closing), and waits. */
  stopSpares(): Promise<void> {
    return this.#spares.stop();
  }

  /** Runs `work` with entry `key` marked in use: no eviction removes it meanwhile. */
  async #using<T>(key: string, work: () => Promise<T>): Promise<T> {
    this.#inUse.set(key, (this.#inUse.get(key) ?? 0) + 1);
    try {
      return await (this.budget ? this.budget.use(join(this.dir, key), work) : work());
    } finally {
      const left = (this.#inUse.get(key) ?? 1) - 1;
      if (left > 0) this.#inUse.set(key, left);
      else this.#inUse.delete(key);
    }
  }

  async #restore(
    key: string,
    rootDir: string,
    owner: Pick<ChildIdentity, "uid" | "gid"> | undefined,
    options: RestoreOptions,
  ): Promise<boolean> {
    const entry = join(this.dir, key);
    try {
      if (!(await exists(entry))) return false;
      // A committed symlink where the entry has a file or folder would be written through, or
      // replaced by the entry's folder: such a tree runs the step instead.
      if (await meetsLink(entry, rootDir)) return false;
      const now = new Date();
      await utimes(entry, now, now).catch(() => undefined); // Recently used: evicted last.
      if (options.spare && (await this.#takeSpare(key, rootDir, owner, options))) return true;
      // Each of the entry's top-level names into `rootDir`, merging into the folders already there,
      // written by the owner: never root through the owner's folders (see streamCopy). Not the
      // entry's `.`, which would give `rootDir` itself the entry's times and mode.
      const names = await readdir(entry);
      if (names.length === 0) return true;
      const keep = options.keepExisting ? ["--skip-old-files"] : ["--no-overwrite-dir"];
      const times = options.restamp ? ["--touch"] : [];
      await streamCopy(
        { dir: entry, names },
        { dir: rootDir, as: owner, flags: ["--same-permissions", "--no-same-owner", ...keep, ...times] },
      );
      return true;
    } catch {
      return false; // A full disk, say: the step runs instead and overwrites what was copied.
    }
  }

  #spareDir(): string {
    return sparesDir(this.dir);
  }

  #spareName(key: string, owner: Pick<ChildIdentity, "uid" | "gid"> | undefined): string {
    return `${key}@${owner ? `${owner.uid}.${owner.gid}` : "self"}`;
  }

  /**
   * Moves the spare of `key` for `owner` into `rootDir`, claimed first by a rename so no other
   * restore gets it, as the copy would have it: with the time of now for `restamp`, around what
   * is there for `keepExisting`. False when there is none, or it did not fit: the copy then
   * writes over what was moved, with the same files.
   */
  async #takeSpare(
    key: string,
    rootDir: string,
    owner: Pick<ChildIdentity, "uid" | "gid"> | undefined,
    options: RestoreOptions,
  ): Promise<boolean> {
    const claimed = join(this.#spareDir(), `.claimed.${randomBytes(6).toString("hex")}`);
    const taken = await rename(join(this.#spareDir(), this.#spareName(key, owner)), claimed).then(
      () => true,
      () => false,
    );
    if (!taken) return false;
    try {
      if (options.restamp) await restamp(claimed);
      await moveInto(claimed, rootDir, options.keepExisting ?? false);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EXDEV") this.#sparesMove = false;
      return false;
    } finally {
      await rm(claimed, { recursive: true, force: true });
    }
  }

  /** Makes the spare `name` of `key` for `owner`, unless there is one (see spare-copies.ts). */
  async #makeSpare(
    key: string,
    name: string,
    owner: Pick<ChildIdentity, "uid" | "gid"> | undefined,
    signal: AbortSignal,
  ): Promise<void> {
    const spares = this.#spareDir();
    await this.#using(key, async () => {
      if (await exists(join(spares, name))) return;
      await mkdir(spares, { recursive: true });
      const temporary = join(spares, `.fill.${randomBytes(6).toString("hex")}`);
      await copyAhead(join(this.dir, key), temporary, join(spares, name), { owner, signal });
    });
    await this.#pruneSpares();
  }

  /**
   * Keeps the most recent spares of entries still here, and drops what a dead previewd left half
   * made. Each goes out of sight first (a rename, as a restore claims one), then away.
   */
  async #pruneSpares(): Promise<void> {
    const spares = this.#spareDir();
    const found = await Promise.all(
      (await readdir(spares)).map(async (name) => ({
        name,
        info: await stat(join(spares, name)).catch(() => undefined),
      })),
    );
    const ready = found
      .filter(({ name, info }) => info && !name.startsWith("."))
      .sort((a, b) => b.info!.mtimeMs - a.info!.mtimeMs);
    const kept = { install: 0, build: 0 };
    for (const { name } of ready) {
      const entryGone = !(await exists(join(this.dir, name.slice(0, name.lastIndexOf("@")))));
      const kind = spareKind(name);
      if (!entryGone && kept[kind] < maxSpares[kind]) {
        kept[kind] += 1;
        continue;
      }
      const doomed = join(spares, `.doomed.${randomBytes(6).toString("hex")}`);
      if (
        await rename(join(spares, name), doomed).then(
          () => true,
          () => false,
        )
      )
        await rm(doomed, { recursive: true, force: true });
    }
    // A spare claimed or being made keeps its entry's mtime: the sweep goes by ctime.
    await sweepTemporaries(spares);
  }

  /**
   * Whether everything entry `key` holds lies in folders named `folder` (an install's
   * `node_modules`, which no app's hash reads); false when the entry is gone.
   */
  async holdsOnly(key: string, folder: string): Promise<boolean> {
    const within = async (dir: string): Promise<boolean> => {
      for (const item of await readdir(dir, { withFileTypes: true })) {
        if (!item.isDirectory()) return false;
        if (item.name !== folder && !(await within(join(dir, item.name)))) return false;
      }
      return true;
    };
    return within(join(this.dir, key)).catch(() => false);
  }

  /**
   * Stores `paths` (relative to `rootDir`) as entry `key`, unless another environment stored it
   * first; read by `reader` (the worktree's runner, who wrote them), never by root through the
   * runner's folders (see streamCopy). The entry's files are previewd's, with modes under umask 022
   * (no set-id bits). With `expected` (fileStamps of those paths when the step ended), an entry is
   * stored only if none of them changed while it was copied: a save that runs beside the app's
   * start never keeps what the running app wrote. With `upkeepLater`, the entries past `maxEntries`
   * and the size cap (a `du`) are seen to at the next fillSpares(), once the environment is up,
   * rather than beside the app's start.
   */
  async save(
    key: string,
    rootDir: string,
    paths: readonly string[],
    expected?: ReadonlyMap<string, string>,
    options: { upkeepLater?: boolean; reader?: RunAs } = {},
  ): Promise<void> {
    const entry = join(this.dir, key);
    if (paths.length === 0 || (await exists(entry))) return;
    const temporary = join(this.dir, `.${key}.${randomBytes(6).toString("hex")}`);
    await mkdir(temporary, { recursive: true });
    try {
      // Synced before it has its name: after a power loss an entry is whole or absent.
      await streamCopy(
        { dir: rootDir, names: paths, as: options.reader },
        { dir: temporary, flags: ["--no-same-owner", "--no-same-permissions"], sync: true },
      );
      if (expected) await unchangedSince(rootDir, paths, expected);
      await rename(temporary, entry).catch((error: NodeJS.ErrnoException) => {
        // Another environment stored the same outputs meanwhile: theirs are as good as ours.
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    if (options.upkeepLater) {
      this.#evictLater = true; // At the next fillSpares(), with the size cap.
      return;
    }
    await this.#evict();
    await this.#enforceBudget();
  }

  /**
   * Keeps the cap (cache-budget.ts); an entry it removed, in this pass or in one another pool's
   * use ran meanwhile, takes its spares with it.
   */
  async #enforceBudget(): Promise<void> {
    if (!this.budget) return;
    await this.budget.enforce();
    await this.#pruneSpares().catch(() => undefined);
  }

  async #evict(): Promise<void> {
    const all = await readdir(this.dir);
    await sweepTemporaries(this.dir, [".spares"]);
    const names = all.filter((name) => !name.startsWith("."));
    if (names.length <= this.maxEntries) return;
    const dated = await Promise.all(
      names.map(async (name) => ({
        name,
        mtime: await stat(join(this.dir, name)).then(
          (s) => s.mtimeMs,
          () => Infinity,
        ),
      })),
    );
    dated.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of dated.slice(0, dated.length - this.maxEntries)) {
      if (this.#inUse.has(name)) continue;
      // Out of sight first (a restore that starts now finds nothing), then gone.
      const doomed = join(this.dir, `.evicted.${name}.${randomBytes(4).toString("hex")}`);
      await rename(join(this.dir, name), doomed).catch(() => undefined);
      await rm(doomed, { recursive: true, force: true });
    }
    await this.#pruneSpares().catch(() => undefined); // The spares of what went.
  }
}

/** Sharing is a speed-up: when it fails the environment is still fine, and the event says why. */
export async function share(
  ctx: RuntimeContext,
  step: string,
  save: () => Promise<void>,
  app?: string,
): Promise<void> {
  try {
    await save();
  } catch (error) {
    const message = `not shared with other environments: ${errorMessage(error)}`;
    ctx.event({ step, ...(app && { app }), status: "info", message });
  }
}

/** Throws when a path's stamp (see fileStamps) is no longer the one `expected` holds for it. */
async function unchangedSince(
  rootDir: string,
  paths: readonly string[],
  expected: ReadonlyMap<string, string>,
): Promise<void> {
  const now = await fileStamps(rootDir, paths, () => false);
  for (const path of new Set([...now.keys(), ...paths])) {
    if (now.get(path) !== expected.get(path)) throw new Error(`${path} changed while it was being copied`);
  }
}

/**
 * Moves what `from` holds into `to`, merging into folders `to` has (never through a symlink):
 * a name `to` lacks is renamed in; so is a file over a file `to` has, unless `keepExisting`, which
 * leaves whatever `to` has. Throws at anything else. `to` is the runner's: each folder below it is
 * opened without following a link and named through that descriptor, so one swapped for a link
 * meanwhile is never moved into (root would write wherever it points).
 */
async function moveInto(from: string, to: string, keepExisting: boolean): Promise<void> {
  const folder = await open(to, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const here = `/proc/self/fd/${folder.fd}`;
    for (const item of await readdir(from, { withFileTypes: true })) {
      const there = await lstat(join(here, item.name)).catch(() => undefined);
      if (there?.isDirectory() && item.isDirectory())
        await moveInto(join(from, item.name), join(here, item.name), keepExisting);
      else if (!there || (there.isFile() && !item.isDirectory() && !keepExisting))
        await rename(join(from, item.name), join(here, item.name));
      else if (!keepExisting) throw new Error(`${join(to, item.name)} is in the way`);
    }
  } finally {
    await folder.close();
  }
}

/** Gives everything below `dir` (links themselves, not what they name) the time of now, as a copy would have. */
async function restamp(dir: string): Promise<void> {
  const now = new Date();
  const items = await readdir(dir, { withFileTypes: true, recursive: true });
  for (let i = 0; i < items.length; i += restampedAtOnce) {
    const chunk = items.slice(i, i + restampedAtOnce);
    await Promise.all(chunk.map((item) => lutimes(join(item.parentPath, item.name), now, now)));
  }
}

/** Whether copying `entry` over `rootDir` would meet a symlink already in `rootDir`. */
async function meetsLink(entry: string, rootDir: string, relative = ""): Promise<boolean> {
  for (const item of await readdir(join(entry, relative), { withFileTypes: true })) {
    const path = join(relative, item.name);
    const there = await lstat(join(rootDir, path)).catch(() => undefined);
    if (!there) continue; // Created fresh by the copy: nothing below it can be a link.
    if (there.isSymbolicLink()) return true;
    if (item.isDirectory() && there.isDirectory() && (await meetsLink(entry, rootDir, path))) return true;
  }
  return false;
}
