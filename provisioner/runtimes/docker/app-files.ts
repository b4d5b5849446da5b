/**
 * Which files of the monorepo count for an app's image, the rule app-input-hash.ts uses for every
 * runtime: its own folder, plus everything under no other app's folder (shared packages, root
 * config, lockfiles). A change in `apps/web` then rebuilds web's image only.
 */
import { posix } from "node:path";
import type { Manifest } from "../../manifest/manifest-schema.ts";

function normalize(path: string): string {
  const p = posix.normalize(path.replaceAll("\\", "/")).replace(/\/+$/, "");
  return p === "." || p === "" ? "" : p;
}

function under(file: string, dir: string): boolean {
  return dir === "" || file === dir || file.startsWith(`${dir}/`);
}

/** A predicate on paths relative to the monorepo root. */
export function appOwnsFile(manifest: Manifest, app: string): (file: string) => boolean {
  const own = normalize(manifest.apps[app]?.path ?? ".");
  const others = Object.entries(manifest.apps)
    .map(([name, spec]) => [name, normalize(spec.path)] as const)
    .filter(([name, path]) => name !== app && path !== own && path !== "")
    .map(([, path]) => path);
  return (file) => under(file, own) || !others.some((dir) => under(file, dir));
}
