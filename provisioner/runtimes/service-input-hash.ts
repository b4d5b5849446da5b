/**
 * What decides a `command` service's process or container, as one hash (shared by every
 * runtime): its manifest entry, the top-level env and the files that would count for an app at
 * its path (its own folder and every file under no app's or other command service's folder),
 * hashed by app-input-hash.ts as if the services were more apps. A redeploy restarts a twin whose hash changed; Postgres and
 * Redis keep running with their data.
 */
import type { AppSpec, CommandServiceSpec, Manifest } from "../manifest/manifest-schema.ts";
import { appInputHash } from "./app-input-hash.ts";
import type { DeployedService } from "./runtime.ts";

/** The service as the app it would be: what app-input-hash.ts reads. */
function asApp(spec: CommandServiceSpec): AppSpec {
  return {
    path: spec.path,
    ...(spec.run !== undefined && { start: spec.run }),
    health: spec.health ?? "/",
    env: spec.env,
    depends_on: [],
    ...(spec.docker && { docker: spec.docker }),
  };
}

/** Undefined for a service that is not a `command` service. */
export async function commandServiceInputHash(
  rootDir: string,
  manifest: Manifest,
  name: string,
): Promise<string | undefined> {
  if (manifest.services[name]?.type !== "command") return undefined;
  // Every command service is one more app, so none counts another's folder as shared files.
  // `service:` keys are no valid app keys: never one of the manifest's apps.
  const apps = { ...manifest.apps };
  for (const [key, spec] of Object.entries(manifest.services))
    if (spec.type === "command") apps[`service:${key}`] = asApp(spec);
  return appInputHash(rootDir, { ...manifest, apps }, `service:${name}`);
}

/** Whether a running `command` service was started from other inputs than the worktree's now. */
export async function commandServiceChanged(
  rootDir: string,
  manifest: Manifest,
  name: string,
  deployed: DeployedService | undefined,
): Promise<boolean> {
  const hash = await commandServiceInputHash(rootDir, manifest, name);
  return hash !== undefined && deployed?.handle.inputHash !== hash;
}
