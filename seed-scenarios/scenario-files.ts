/**
 * Where scenario files come from: a worktree on disk (a running environment) or a commit in git
 * (validating a create request before anything exists). Paths are posix, relative to the
 * monorepo root.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

export interface ScenarioFiles {
  /** The file's text, or undefined when there is no such file. */
  read(file: string): Promise<string | undefined>;
  /** The file names in a folder (empty when it does not exist); a commit may not offer this. */
  list?(dir: string): Promise<string[]>;
}

/** Files of a monorepo checked out at `rootDir`. */
export function directoryFiles(rootDir: string): ScenarioFiles {
  const resolve = (file: string) => path.join(rootDir, ...file.split("/"));
  return {
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
  };
}
