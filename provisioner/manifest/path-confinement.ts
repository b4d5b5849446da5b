/**
 * Every path preview.yaml names (app paths, Dockerfiles, build contexts, the scenario folder)
 * must lead inside the monorepo once symlinks are followed; the schema already refuses `..` and
 * absolute paths, so a link is the only way out. Checked before anything is created.
 */
import type { FieldError } from "../errors.ts";
import { formatPath } from "./field-path.ts";
import type { Manifest } from "./manifest-schema.ts";
import type { MonorepoPaths } from "./monorepo-paths.ts";

/** The manifest's paths, each with its field path. */
export function manifestPaths(
  manifest: Pick<Manifest, "apps" | "seed"> & Partial<Pick<Manifest, "services">>,
): Array<[field: string, file: string]> {
  const named: Array<[string, string]> = [];
  const runnable = [
    ...Object.entries(manifest.apps).map(([name, spec]) => ["apps", name, spec] as const),
    ...Object.entries(manifest.services ?? {}).flatMap(([name, spec]) =>
      spec.type === "command" ? [["services", name, spec] as const] : [],
    ),
  ];
  for (const [section, name, spec] of runnable) {
    named.push([formatPath([section, name, "path"]), spec.path]);
    if (spec.docker?.dockerfile)
      named.push([formatPath([section, name, "docker", "dockerfile"]), spec.docker.dockerfile]);
    if (spec.docker) named.push([formatPath([section, name, "docker", "context"]), spec.docker.context]);
  }
  named.push([formatPath(["seed", "scenarios"]), manifest.seed.scenarios]);
  return named;
}

/** A field error for each path that leads outside the monorepo (empty when all stay inside). */
export async function pathConfinementErrors(
  manifest: Pick<Manifest, "apps" | "seed"> & Partial<Pick<Manifest, "services">>,
  paths: MonorepoPaths,
): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  // One after the other: a commit's resolver runs git for each folder it has not seen yet.
  for (const [field, file] of manifestPaths(manifest)) {
    const resolution = await paths.resolve(file);
    if (!resolution.inside) errors.push({ path: field, message: resolution.message });
  }
  return errors;
}
