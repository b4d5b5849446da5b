/**
 * A `command` service's image, made exactly as an app's (app-image.ts): the image its `docker`
 * block names, pulled if missing, or built from its Dockerfile and tagged by a content hash of the
 * build context. To that code the service is the one app of a manifest of its own, so every file
 * of its context counts for the hash (no other app's folder is left out).
 */
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import type { AppSpec, CommandServiceSpec, Manifest } from "../../manifest/manifest-schema.ts";
import type { RuntimeEnvironment } from "../runtime.ts";
import { ensureAppImage, planAppImage } from "./app-image.ts";

export type DockerCommandService = CommandServiceSpec & { docker: NonNullable<CommandServiceSpec["docker"]> };

/** The service's docker block, or a ProvisionError saying the docker runtime needs one. */
export function dockerBlock(name: string, spec: CommandServiceSpec): DockerCommandService {
  if (spec.docker) return { ...spec, docker: spec.docker };
  throw new ProvisionError(
    `service ${name} has no docker section: the docker runtime needs services.${name}.docker.dockerfile or .image`,
    "services",
    name,
  );
}

/** The service as an app: what app-image.ts and resource-limits.ts read (its path and docker block). */
export function serviceAsApp(spec: DockerCommandService): AppSpec {
  return { path: spec.path, health: spec.health ?? "/", env: {}, depends_on: [], docker: spec.docker };
}

export interface ServiceImageOptions {
  docker: Docker;
  owner: string;
  env: RuntimeEnvironment;
  name: string;
  spec: DockerCommandService;
  signal: AbortSignal;
  onLine(line: string): void;
}

/** The image reference, once it is there (pulled or built). */
export async function ensureServiceImage(
  options: ServiceImageOptions,
): Promise<{ ref: string; built: boolean }> {
  const { env, name } = options;
  const manifest: Manifest = { ...env.manifest, apps: { [name]: serviceAsApp(options.spec) } };
  const plan = await planAppImage({ rootDir: env.rootDir, manifest, app: name });
  return ensureAppImage(plan, {
    docker: options.docker,
    owner: options.owner,
    envId: env.id,
    manifest,
    signal: options.signal,
    onLine: options.onLine,
  });
}
