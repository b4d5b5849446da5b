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
 */
import path from "node:path";
import { runnerIds } from "./child-identity.ts";
import { isRoot, ownerDir, removeIfEmpty, rootHome, traversableDirs } from "./postgres-home.ts";

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
