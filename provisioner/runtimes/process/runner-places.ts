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
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ownerIdOf } from "../../owner-id.ts";
import { exists } from "../../sources/fs-checks.ts";
import { runnerIds } from "./child-identity.ts";
import { isRoot, ownerDir, removeIfEmpty, rootHome, traversableDirs } from "./postgres-home.ts";
import { liveOwners } from "./process-scan.ts";

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

/** Notes `dataDir` as the data dir of `owner`'s folder (see above), with its file system. Root only. */
export async function noteOwner(dataDir: string, owner: string, home = rootHome): Promise<void> {
  const note: OwnerNote = { dataDir, device: (await stat(dataDir)).dev };
  await mkdir(path.join(home, ".owners"), { recursive: true, mode: 0o700 });
  await writeFile(path.join(home, ".owners", owner), JSON.stringify(note), { mode: 0o600 });
}

interface OwnerNote {
  dataDir: string;
  /** The file system it was on: one unmounted since is not taken for a removed data dir. */
  device: number;
}

/**
 * Removes the folders (and notes) of owners other than `self` whose data dir is gone from a file
 * system still there, and of whom no process runs; returns their data dirs. A folder without a
 * note, or whose note names a data dir of another owner id, is left alone.
 */
export async function sweepOwners(self: string, home = rootHome): Promise<string[]> {
  for (const name of await readdir(home).catch(() => [] as string[])) {
    if (name.startsWith(".swept-")) await rm(path.join(home, name), { recursive: true, force: true });
  }
  const notes = path.join(home, ".owners");
  const gone: { owner: string; dataDir: string }[] = [];
  for (const owner of await readdir(notes).catch(() => [] as string[])) {
    if (owner === self) continue;
    const note = await readFile(path.join(notes, owner), "utf8").then(
      (text) => JSON.parse(text) as OwnerNote,
      () => undefined,
    );
    if (!note || typeof note.dataDir !== "string" || ownerIdOf(note.dataDir) !== owner) continue;
    if (await exists(note.dataDir)) continue;
    const parent = await stat(path.dirname(note.dataDir)).catch(() => undefined);
    if (parent?.dev !== note.device) continue;
    gone.push({ owner, dataDir: note.dataDir });
  }
  if (gone.length === 0) return [];
  const running = await liveOwners();
  const swept: string[] = [];
  for (const { owner, dataDir } of gone) {
    if (running.has(owner)) continue;
    // Out of sight first, as a cache eviction: a half-removed folder is never taken for one in use.
    const doomed = path.join(home, `.swept-${owner}-${randomBytes(4).toString("hex")}`);
    const moved = await rename(ownerDir(home, owner), doomed).then(
      () => true,
      () => false,
    );
    if (moved) await rm(doomed, { recursive: true, force: true });
    await rm(path.join(notes, owner), { force: true });
    swept.push(dataDir);
  }
  return swept;
}
