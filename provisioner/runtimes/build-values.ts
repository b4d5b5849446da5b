/**
 * What an app's build runs with on every runtime: the top-level env and its `build_env`,
 * interpolated with what is known before anything runs (the environment and the public preview
 * URLs), so a build keyed by these variables can be shared.
 */
import { buildEnvironment, type BuildValues } from "../manifest/interpolate.ts";
import type { RuntimeEnvironment } from "./runtime.ts";

export function buildValues(env: RuntimeEnvironment): BuildValues {
  const apps: BuildValues["apps"] = {};
  for (const [app, url] of Object.entries(env.appUrls)) apps[app] = { url };
  return { env: { id: env.id, ref: env.ref, commit: env.commit }, apps };
}

/** Every app's build environment. */
export function buildEnvironments(env: RuntimeEnvironment): Record<string, Record<string, string>> {
  const values = buildValues(env);
  return Object.fromEntries(
    Object.keys(env.manifest.apps).map((app) => [app, buildEnvironment(env.manifest, app, values)]),
  );
}
