/**
 * What an environment's services need from this machine on the process runtime, checked before
 * anything of the environment starts, so a missing program fails it with nothing to clean up.
 */
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { ProvisionError } from "../../errors.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";

/** The first executable `program` on `searchPath`, as an absolute path; undefined if none. */
export async function findOnPath(
  program: string,
  searchPath = process.env.PATH ?? "",
): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue; // A relative entry would depend on each child's cwd.
    const candidate = path.join(dir, program);
    const found = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return candidate;
  }
  return undefined;
}

/** `redis-server` from PATH, or a ProvisionError saying how to install it. */
export async function redisServerProgram(service: string): Promise<string> {
  const found = await findOnPath("redis-server");
  if (found) return found;
  throw new ProvisionError(
    `service ${service} is of type redis, which the process runtime runs with redis-server, and ` +
      "redis-server is not on PATH: install it (Debian/Ubuntu: apt-get install redis-server) " +
      'or use runtime "docker"',
    "services",
    service,
  );
}

/** Throws a ProvisionError for the first of `names` this machine cannot run. */
export async function checkServicePrerequisites(manifest: Manifest, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const spec = manifest.services[name];
    if (spec?.type === "redis") await redisServerProgram(name);
    if (spec?.type === "command" && !spec.run) {
      throw new ProvisionError(
        `service ${name} has no run command: the process runtime needs services.${name}.run`,
        "services",
        name,
      );
    }
  }
}
