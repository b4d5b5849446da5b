/**
 * Where a path a manifest or scenario names really leads, symlinks followed. A repository is
 * untrusted (a PR from a fork): an app `path`, a Dockerfile or a scenario's SQL file committed as
 * a symlink to `/etc/…` must not reach host files, so every such path has to resolve inside the
 * monorepo root. Two sources answer: a folder on disk (here, with realpath) and a commit not yet
 * checked out (sources/commit-paths.ts, reading the git tree).
 */
import { realpath } from "node:fs/promises";
import path from "node:path";

export type PathResolution =
  /** `path`: where it leads, posix and relative to the monorepo root ("." for the root). */
  | { inside: true; path: string }
  /** Why not, e.g. `resolves outside the monorepo (symlink apps/api -> /etc)`. */
  | { inside: false; message: string };

export interface MonorepoPaths {
  /** `file` is posix and relative to the monorepo root; it need not exist. */
  resolve(file: string): Promise<PathResolution>;
}

/** A file a manifest or scenario names leads outside the monorepo; the message says where. */
export class OutsideMonorepoError extends Error {
  override readonly name = "OutsideMonorepoError";
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

export const outside = (detail: string): PathResolution => ({
  inside: false,
  message: `resolves outside the monorepo (${detail})`,
});
export const symlinkLoop = (file: string): PathResolution => ({
  inside: false,
  message: `is a symlink loop (${file})`,
});

/** The monorepo checked out at `rootDir`: realpath of the root, then of each file asked about. */
export function directoryPaths(rootDir: string): MonorepoPaths {
  let realRoot: Promise<string> | undefined;
  return {
    async resolve(file) {
      realRoot ??= realpath(rootDir);
      const root = await realRoot;
      const real = await realpathOfExisting(path.join(root, ...file.split("/"))).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === "ELOOP") return undefined;
        throw error;
      });
      if (real === undefined) return symlinkLoop(file);
      const rel = path.relative(root, real);
      if (rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))
        return outside(`${file} -> ${real}`);
      return { inside: true, path: rel === "" ? "." : rel.split(path.sep).join("/") };
    },
  };
}

/**
 * realpath for a path that may not exist: the deepest existing ancestor resolved, the rest
 * appended (a missing component cannot be a link, so it cannot lead anywhere else).
 */
async function realpathOfExisting(full: string): Promise<string> {
  const missing: string[] = [];
  let current = full;
  for (;;) {
    try {
      return path.join(await realpath(current), ...missing.reverse());
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = path.dirname(current);
      if ((code !== "ENOENT" && code !== "ENOTDIR") || parent === current) throw error;
      missing.push(path.basename(current));
      current = parent;
    }
  }
}
