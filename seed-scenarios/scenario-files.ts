/**
 * Where scenario files come from: a worktree on disk (a running environment) or a commit in git
 * (validating a create request before anything exists). Paths are posix, relative to the
 * monorepo root, and must lead inside it once symlinks are followed: a scenario's SQL file
 * committed as a link to a host file would otherwise be read into the database and its logs.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import {
  directoryPaths,
  type MonorepoPaths,
  OutsideMonorepoError,
} from "../provisioner/manifest/monorepo-paths.ts";

export interface ScenarioFiles {
  /** The file's text, or undefined when there is no such file. Throws OutsideMonorepoError. */
  read(file: string): Promise<string | undefined>;
  /** The file names in a folder (empty when it does not exist); a commit may not offer this. */
  list?(dir: string): Promise<string[]>;
}

/** `files`, asked only about where each path really leads, once `paths` has checked it stays inside. */
export function confinedFiles(paths: MonorepoPaths, files: ScenarioFiles): ScenarioFiles {
  const confine = async (file: string) => {
    const resolution = await paths.resolve(file);
    if (!resolution.inside) throw new OutsideMonorepoError(file, resolution.message);
    return resolution.path;
  };
  const list = files.list?.bind(files);
  return {
    read: async (file) => files.read(await confine(file)),
    ...(list && { list: async (dir: string) => list(await confine(dir)) }),
  };
}

/** Files of a monorepo checked out at `rootDir`. */
export function directoryFiles(rootDir: string): ScenarioFiles {
  const resolve = (file: string) => path.join(rootDir, ...file.split("/"));
  return confinedFiles(directoryPaths(rootDir), {
    async read(file) {
      try {
        return await readFile(resolve(file), "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") return undefined;
        throw error;
      }
    },
    async list(dir) {
      return readdir(resolve(dir)).catch(() => []);
    },
  });
}
