/**
 * The project's own install scripts (`preinstall`, `install`, `postinstall`, `prepare` of the root
 * and of each workspace package). An install copied from another environment is keyed on the
 * install inputs only (install-key.ts), while these scripts may read any file: they run again in
 * the environment's own worktree, so what they make comes from its branch.
 */
import { basename, dirname, join } from "node:path";
import { installScriptsOf, trackedIndex } from "./install-key.ts";
import type { PackageManagerName } from "./package-manager.ts";

export interface PackageScripts {
  /** Relative to the monorepo root; "." for the root. */
  dir: string;
  scripts: string[];
}

/**
 * Each tracked package with install scripts, workspace packages first and the root last, as npm
 * runs them. `tracked`: the worktree's index, if read already (install-key.ts's trackedIndex).
 */
export async function ownInstallScripts(
  rootDir: string,
  tracked: () => Promise<string[]> = () => trackedIndex(rootDir),
): Promise<PackageScripts[]> {
  const paths = new Set((await tracked()).map((entry) => entry.slice(entry.indexOf("\t") + 1)));
  const manifests = [...paths]
    .filter((path) => basename(path) === "package.json" && !path.split("/").includes("node_modules"))
    .sort((a, b) => (a === "package.json" ? 1 : b === "package.json" ? -1 : a.localeCompare(b)));
  const found: PackageScripts[] = [];
  for (const manifest of manifests) {
    const scripts = await installScriptsOf(join(rootDir, manifest));
    if (scripts?.length) found.push({ dir: dirname(manifest), scripts });
  }
  return found;
}

/** The command that runs one script in its package's folder. */
export function scriptCommand(manager: PackageManagerName | undefined, script: string): string {
  return `${manager ?? "npm"} run ${script}`;
}
