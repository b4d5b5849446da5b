/**
 * previewd's own package.json, found the same way whether this file runs from source
 * (provisioner/cli) or compiled (dist/provisioner/cli): the nearest folder above that has one.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const packageRoot = nearestPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

export function packageVersion(): string {
  const file = path.join(packageRoot, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

function nearestPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    // Only a broken install gets here: the CLI's files were copied away from their package.json.
    if (parent === dir) throw new Error(`previewd: no package.json in ${from} or any folder above it`);
    dir = parent;
  }
  return dir;
}
