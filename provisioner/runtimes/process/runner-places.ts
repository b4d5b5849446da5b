/**
 * Where what `previewd-run` (child-identity.ts) must write lives when previewd is root: not in
 * the data dir, which is 0700 (state, logs, caches: nothing an app may read), but in the root
 * layout (postgres-home.ts) under the owner's folder:
 *
 *     <owner>/environments/<env>/.home/  the user's HOME (child-identity.ts)
 *     <owner>/worktrees/   previewd's worktrees, handed to the user after each checkout
 *     <owner>/browsers/    the environments' Chromium user-data-dirs
 *
 * Not root: everything stays in the data dir, as before.
 *
 * An owner's folder outlives a data dir removed without previewd (a test's or an agent's
 * `mktemp -d`): its worktrees and clusters would stay for good. So each owner's data dir is noted in
 * `.owners/<owner>`, and previewd, as it starts, removes the folders of owners whose data dir is
 * gone and of whom no process runs.
 */
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ownerIdOf } from "../../owner-id.ts";
import { exists } from "../../sources/fs-checks.ts";
import { runnerIds } from "./child-identity.ts";
import { isRoot, ownerDir, removeIfEmpty, rootHome, traversableDirs } from "./postgres-home.ts";
import { liveOwners } from "./process-scan.ts";
import { removeTree } from "../../remove-tree.ts";

export interface WorktreePlace {
  worktreesDir: string;
  prepareDir?: (dir: string) => Promise<void>;
  tidyDir?: (dir: string) => Promise<void>;
}

export async function worktreePlace(dataDir: string, owner: string, home = rootHome): Promise<WorktreePlace> {
  if (!isRoot()) return { worktreesDir: path.join(dataDir, "worktrees") };
  return {
    worktreesDir: path.join(ownerDir(home, owner), "worktrees"),
    prepareDir: (dir) => traversableDirs(home, dir),
    tidyDir: removeIfEmpty,
  };
}

/** As root, the user browsers run as and where their user-data-dirs live; else nothing. */
export async function browserUser(
  owner: string,
  home = rootHome,
): Promise<{ browserUser?: { uid: number; gid: number; browsersDir: string; prepare(): Promise<void> } }> {
  if (!isRoot()) return {};
  const { uid, gid } = await runnerIds();
  const browsersDir = path.join(ownerDir(home, owner), "browsers");
  return { browserUser: { uid, gid, browsersDir, prepare: () => traversableDirs(home, browsersDir) } };
}

/** How often a running previewd touches its note; one untouched for much longer is no running previewd's. */
export const noteRefreshMs = 10 * 60_000;
const staleNoteMs = 6 * noteRefreshMs;

/**
 * Notes `dataDir` as the data dir of `owner`'s folder (see above), with its file system, and
 * touches the note every noteRefreshMs while previewd runs: a previewd whose data dir this one
 * cannot see (another mount namespace) and that runs no process yet is alive all the same.
 * Returns what stops the touching. Root only.
 */
export async function noteOwner(dataDir: string, owner: string, home = rootHome): Promise<() => void> {
  const note: OwnerNote = { dataDir, device: (await stat(dataDir)).dev };
  const file = path.join(home, ".owners", owner);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(note), { mode: 0o600 });
  const touch = setInterval(() => {
    const now = new Date();
    void utimes(file, now, now).catch(() =>
      writeFile(file, JSON.stringify(note), { mode: 0o600 }).catch(() => undefined),
    );
  }, noteRefreshMs);
  touch.unref();
  return () => clearInterval(touch);
}

interface OwnerNote {
  dataDir: string;
  /** The file system it was on: one unmounted since is not taken for a removed data dir. */
  device: number;
}

/** The owner's data dir when its folder may go: the note is stale, names it, and it is gone. */
async function goneDataDir(home: string, owner: string, staleMs: number): Promise<string | undefined> {
  const file = path.join(home, ".owners", owner);
  const touched = await stat(file).catch(() => undefined);
  if (!touched || Date.now() - touched.mtimeMs < staleMs) return undefined;
  const note = await readFile(file, "utf8").then(
    (text) => JSON.parse(text) as OwnerNote,
    () => undefined,
  );
  if (!note || typeof note.dataDir !== "string" || ownerIdOf(note.dataDir) !== owner) return undefined;
  if (await exists(note.dataDir)) return undefined;
  const parent = await stat(path.dirname(note.dataDir)).catch(() => undefined);
  return parent?.dev === note.device ? note.dataDir : undefined;
}

/**
 * Removes the folders (and notes) of owners other than `self` whose data dir is gone from a file
 * system still there, whose note no running previewd touched for an hour, and of whom no process
 * runs; returns their data dirs. A folder without a note, or whose note names a data dir of another
 * owner id, is left alone. Each is checked again as it is moved out of sight, and moved back if
 * a previewd came for it meanwhile.
 */
export async function sweepOwners(self: string, home = rootHome, staleMs = staleNoteMs): Promise<string[]> {
  for (const name of await readdir(home).catch(() => [] as string[])) {
    if (name.startsWith(".swept-")) await removeTree(path.join(home, name));
  }
  const notes = path.join(home, ".owners");
  const gone: string[] = [];
  for (const owner of await readdir(notes).catch(() => [] as string[])) {
    if (owner !== self && (await goneDataDir(home, owner, staleMs))) gone.push(owner);
  }
  if (gone.length === 0) return [];
  const running = await liveOwners();
  const swept: string[] = [];
  for (const owner of gone) {
    if (running.has(owner)) continue;
    const dataDir = await goneDataDir(home, owner, staleMs);
    if (!dataDir) continue;
    // Out of sight first, as a cache eviction: a half-removed folder is never taken for one in use.
    const doomed = path.join(home, `.swept-${owner}-${randomBytes(4).toString("hex")}`);
    const moved = await rename(ownerDir(home, owner), doomed).then(
      () => true,
      (error: NodeJS.ErrnoException) => (error.code === "ENOENT" ? false : undefined),
    );
    if (moved === undefined) continue; // Not moved, not gone: left for a later start.
    if (moved && !(await goneDataDir(home, owner, staleMs))) {
      await rename(doomed, ownerDir(home, owner)).catch(() => undefined);
      continue;
    }
    if (moved) await removeTree(doomed);
    await rm(path.join(notes, owner), { force: true });
    swept.push(dataDir);
  }
  return swept;
}
