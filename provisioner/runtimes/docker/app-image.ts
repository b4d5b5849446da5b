/**
 * An app's image: pulled as named (`docker.image`), or built from its Dockerfile by the engine's
 * classic builder (no BuildKit needed) and tagged by a content hash of its inputs, so a build whose
 * hash already exists is skipped. A failing build names the Dockerfile step that failed.
 */
import { join, posix, relative, sep } from "node:path";
import type Docker from "dockerode";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import { appOwnsFile } from "../app-input-hash.ts";
import { buildContext } from "./build-context.ts";
import { labelsOf, type DockerLabels } from "./docker-labels.ts";
import { followProgress, type ProgressEvent } from "./docker-progress.ts";
import { imageExists } from "./rootfs-image.ts";
import { tarStream } from "./tar-pack.ts";

export interface AppImageOptions {
  docker: Docker;
  rootDir: string;
  manifest: Manifest;
  app: string;
  labels: Omit<DockerLabels, "role" | "name" | "specHash">;
  signal: AbortSignal;
  /** Each line of build or pull output. */
  onLine(line: string): void;
}

export interface AppImage {
  ref: string;
  /** False when an image with the same content hash (or the named image) was already there. */
  built: boolean;
}

/** Builds for the same tag share one run (two environments of the same commit). */
const building = new Map<string, Promise<void>>();

/** `docker pull`; a failure is a ProvisionError naming the image and the engine's reason. */
export async function pullImage(
  docker: Docker,
  ref: string,
  step: string,
  app: string | undefined,
  signal?: AbortSignal,
): Promise<void> {
  try {
    const stream = await docker.pull(ref, { ...(signal && { abortSignal: signal }) });
    await followProgress(docker, stream);
  } catch (error) {
    throw new ProvisionError(`cannot pull image ${ref}: ${errorMessage(error)}`, step, app, [], {
      cause: error,
    });
  }
}

export async function ensureAppImage(options: AppImageOptions): Promise<AppImage> {
  const { docker, app } = options;
  const spec = options.manifest.apps[app]?.docker;
  if (!spec) {
    throw new ProvisionError(
      `app ${app} has no docker section: the docker runtime needs apps.${app}.docker.dockerfile or .image`,
      "build",
      app,
    );
  }
  if (spec.image) {
    if (!(await imageExists(docker, spec.image)))
      await pullImage(docker, spec.image, "build", app, options.signal);
    return { ref: spec.image, built: false };
  }
  const contextDir = join(options.rootDir, spec.context);
  const owns = appOwnsFile(options.manifest, app);
  const context = await buildContext({
    contextDir,
    dockerfilePath: join(options.rootDir, spec.dockerfile ?? "Dockerfile"),
    ...(spec.buildArgs && { buildArgs: spec.buildArgs }),
    hashes: (file) => owns(relative(options.rootDir, join(contextDir, file)).split(sep).join(posix.sep)),
  });
  const ref = `previewd-${options.manifest.name}-${app}:${context.hash.slice(0, 16)}`;
  if (await imageExists(docker, ref)) return { ref, built: false };
  let run = building.get(ref);
  if (!run) {
    run = build(options, ref, context).finally(() => building.delete(ref));
    building.set(ref, run);
  }
  await run;
  return { ref, built: true };
}

async function build(
  options: AppImageOptions,
  ref: string,
  context: Awaited<ReturnType<typeof buildContext>>,
): Promise<void> {
  const { docker, app } = options;
  const spec = options.manifest.apps[app]?.docker;
  const recent: string[] = [];
  let currentStep = "";
  const onEvent = (event: ProgressEvent) => {
    for (const line of (event.stream ?? "").split("\n")) {
      if (!line.trim()) continue;
      if (/^Step \d+\/\d+ : /.test(line)) currentStep = line.trim();
      recent.push(line);
      if (recent.length > 30) recent.shift();
      options.onLine(line);
    }
  };
  try {
    const stream = await docker.buildImage(tarStream(context.entries), {
      t: ref,
      dockerfile: context.dockerfile,
      buildargs: spec?.buildArgs ?? {},
      labels: labelsOf({ ...options.labels, role: "image", name: app, specHash: context.hash }),
      rm: true,
      forcerm: true,
      // The classic builder: Debian's engine may have no BuildKit.
      version: "1",
      abortSignal: options.signal,
    });
    await followProgress(docker, stream, onEvent);
  } catch (error) {
    const reason = errorMessage(error);
    const where = currentStep ? ` at ${currentStep}` : "";
    throw new ProvisionError(`build of ${app} failed${where}: ${reason}`, "build", app, [...recent, reason], {
      cause: error,
    });
  }
}
