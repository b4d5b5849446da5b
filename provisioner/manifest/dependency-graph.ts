/**
 * The start order of apps from `depends_on`. Entries name apps or services; services always
 * start before any app, so only app-to-app edges decide the layers.
 */
import { ManifestError, NotFoundError, type FieldError } from "../errors.ts";
import { formatPath } from "./field-path.ts";
import type { ManifestShape } from "./manifest-shape.ts";

/** Unknown names and cycles in `apps.*.depends_on`, each at the entry that causes it. */
export function dependencyErrors(manifest: ManifestShape): FieldError[] {
  const errors: FieldError[] = [];
  const names = [...Object.keys(manifest.apps), ...Object.keys(manifest.services)];
  for (const [app, spec] of Object.entries(manifest.apps)) {
    (spec.depends_on ?? []).forEach((dep, index) => {
      if (names.includes(dep)) return;
      const others = names.filter((n) => n !== app);
      const expected =
        others.length > 0 ? `expected one of: ${others.join(", ")}` : "there are no other apps or services";
      errors.push({
        path: formatPath(["apps", app, "depends_on", index]),
        message: `unknown app or service "${dep}" (${expected})`,
      });
    });
  }
  return [...errors, ...cycleErrors(manifest)];
}

/** Layers of app names: every app's app dependencies sit in earlier layers; one layer can start in parallel. */
export function startOrder(manifest: ManifestShape): string[][] {
  const cycles = cycleErrors(manifest);
  if (cycles.length > 0) throw new ManifestError("preview.yaml", cycles);
  const depth = new Map<string, number>();
  const depthOf = (app: string): number => {
    const known = depth.get(app);
    if (known !== undefined) return known;
    const deps = appDependencies(manifest, app);
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    depth.set(app, value);
    return value;
  };
  const layers: string[][] = [];
  for (const app of Object.keys(manifest.apps)) (layers[depthOf(app)] ??= []).push(app);
  return layers;
}

/** Apps that depend on `name` (an app or a service), directly or through other apps, in manifest order. */
export function dependentsOf(manifest: ManifestShape, name: string): string[] {
  if (!Object.hasOwn(manifest.apps, name) && !Object.hasOwn(manifest.services, name)) {
    throw new NotFoundError(`no app or service "${name}" in the manifest`);
  }
  const found = new Set<string>();
  const visit = (target: string) => {
    for (const [app, spec] of Object.entries(manifest.apps)) {
      if (!found.has(app) && spec.depends_on?.includes(target)) {
        found.add(app);
        visit(app);
      }
    }
  };
  visit(name);
  found.delete(name);
  return Object.keys(manifest.apps).filter((app) => found.has(app));
}

function appDependencies(manifest: ManifestShape, app: string): string[] {
  return (manifest.apps[app]?.depends_on ?? []).filter((dep) => Object.hasOwn(manifest.apps, dep));
}

/** One error per cycle, at the first edge of the cycle: `dependency cycle api -> web -> api: …`. */
function cycleErrors(manifest: ManifestShape): FieldError[] {
  const errors: FieldError[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (app: string) => {
    state.set(app, "visiting");
    stack.push(app);
    for (const dep of appDependencies(manifest, app)) {
      if (state.get(dep) === "visiting") {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const [from, to] = cycle as [string, string];
        const index = manifest.apps[from]?.depends_on?.indexOf(to) ?? 0;
        errors.push({
          path: formatPath(["apps", from, "depends_on", index]),
          message: `dependency cycle ${cycle.join(" -> ")}: expected depends_on without cycles`,
        });
      } else if (!state.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(app, "done");
  };
  for (const app of Object.keys(manifest.apps)) if (!state.has(app)) visit(app);
  return errors;
}
