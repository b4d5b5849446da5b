/**
 * An app's image: pulled as named (`docker.image`), or built from its Dockerfile by the engine's
 * classic builder (no BuildKit needed) and tagged by a content hash of its inputs, so a build whose
 * hash already exists is skipped. A failing build names the Dockerfile step that failed. Planning
 * (hashing the context) and building are separate so image-builds.ts can order the builds.
 */
import { join, posix, relative, sep } from "node:path";
import type Docker from "dockerode";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import { appOwnsFile } from "../app-input-hash.ts";
import { buildContext, type BuildContext } from "./build-context.ts";
import { labelsOf } from "./docker-labels.ts";
import { followProgress, type ProgressEvent } from "./docker-progress.ts";
import { imageExists } from "./rootfs-image.ts";
import { tarStream } from "./tar-pack.ts";

export interface AppImagePlanOptions {
  rootDir: string;
  manifest: Manifest;
  app: string;
  /**
   * Its build environment (the top-level env and `build_env`, interpolated: build-values.ts),
   * passed as build args under the docker block's own `buildArgs`; part of the content hash.
   */
  variables?: Record<string, string>;
}

/** What an app's image takes: a named image (pulled if missing), or a build of its context. */
export type AppImagePlan =
  | { app: string; ref: string; kind: "named" }
  | {
      app: string;
      ref: string;
      kind: "build";
      context: BuildContext;
      buildArgs: Record<string, string>;
      inputs: string;
    };

export interface AppImageOptions {
  docker: Docker;
  owner: string;
  /** The environment asking; the image is labelled with it if this build makes it. */
  envId: string;
  manifest: Manifest;
  signal: AbortSignal;
  /** Each line of build or pull output. */
  onLine(line: string): void;
  /** Each Dockerfile step the builder starts (1-based). */
  onStep?(step: number): void;
}

export interface AppImage {
  ref: string;
  /** False when an image with the same content hash (or the named image) was already there. */
  built: boolean;
}

/**
 * Builds for the same tag share one run (two environments of the same commit). The run has its
 * own abort signal, called off only once every environment waiting for it has given up, so one
 * environment's failure or delete never fails another's build.
 */
interface SharedBuild {
  built: Promise<boolean>;
  controller: AbortController;
  waiters: number;
}
const building = new Map<string, SharedBuild>();

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

/** The image's reference; for a Dockerfile, its context hashed (the tag is the content hash). */
export async function planAppImage(options: AppImagePlanOptions): Promise<AppImagePlan> {
  const { app } = options;
  const spec = options.manifest.apps[app]?.docker;
  if (!spec) {
    throw new ProvisionError(
      `app ${app} has no docker section: the docker runtime needs apps.${app}.docker.dockerfile or .image`,
      "build",
      app,
    );
  }
  if (spec.image) return { app, ref: spec.image, kind: "named" };
  const contextDir = join(options.rootDir, spec.context);
  const owns = appOwnsFile(options.manifest, app);
  const buildArgs = { ...options.variables, ...spec.buildArgs };
  const context = await buildContext({
    rootDir: options.rootDir,
    contextDir,
    dockerfilePath: join(options.rootDir, spec.dockerfile ?? "Dockerfile"),
    buildArgs,
    hashes: (file) => owns(relative(options.rootDir, join(contextDir, file)).split(sep).join(posix.sep)),
  });
  const ref = `previewd-${options.manifest.name}-${app}:${context.hash.slice(0, 16)}`;
  const inputs = JSON.stringify([contextDir, Object.entries(buildArgs).sort()]);
  return { app, ref, kind: "build", context, buildArgs, inputs };
}

/** Pulls a missing named image, or builds one whose content hash no image has yet. */
export async function ensureAppImage(plan: AppImagePlan, options: AppImageOptions): Promise<AppImage> {
  const { docker } = options;
  if (plan.kind === "named") {
    if (!(await imageExists(docker, plan.ref)))
      await pullImage(docker, plan.ref, "build", plan.app, options.signal);
    return { ref: plan.ref, built: false };
  }
  const shared = building.get(plan.ref) ?? startBuild(plan, options);
  shared.waiters++;
  try {
    return { ref: plan.ref, built: await untilAborted(shared.built, options.signal) };
  } finally {
    shared.waiters--;
    if (shared.waiters === 0 && options.signal.aborted) {
      // Nobody wants it any more: stop it, and let the next environment start afresh.
      shared.controller.abort();
      if (building.get(plan.ref) === shared) building.delete(plan.ref);
    }
  }
}

/** Registers the build before its first await, so a second environment joins instead of building too. */
function startBuild(plan: Extract<AppImagePlan, { kind: "build" }>, options: AppImageOptions): SharedBuild {
  const controller = new AbortController();
  const shared: SharedBuild = { built: Promise.resolve(false), controller, waiters: 0 };
  shared.built = (async () => {
    if (await imageExists(options.docker, plan.ref)) return false;
    await build(plan, { ...options, signal: controller.signal });
    return true;
  })().finally(() => {
    if (building.get(plan.ref) === shared) building.delete(plan.ref);
  });
  shared.built.catch(() => undefined); // Every waiter may have left: a failure then has no one to tell.
  building.set(plan.ref, shared);
  return shared;
}

/** `work`'s result, or a rejection as soon as `signal` aborts (the work goes on for others). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function build(
  plan: Extract<AppImagePlan, { kind: "build" }>,
  options: AppImageOptions,
): Promise<void> {
  const { docker } = options;
  const { app } = plan;
  // SPEC: every object carries an environment id; an image, shared by every environment with
  // the same inputs (its tag is their hash), carries that of the environment that built it.
  const labels = labelsOf({
    owner: options.owner,
    envId: options.envId,
    role: "image",
    name: app,
    specHash: plan.context.hash,
  });
  const { context } = plan;
  const recent: string[] = [];
  let currentStep = "";
  const onEvent = (event: ProgressEvent) => {
    for (const line of (event.stream ?? "").split("\n")) {
      if (!line.trim()) continue;
      const step = /^Step (\d+)\/\d+ : /.exec(line);
      if (step) {
        currentStep = line.trim();
        options.onStep?.(Number(step[1]));
      }
      recent.push(line);
      if (recent.length > 30) recent.shift();
      options.onLine(line);
    }
  };
  try {
    const stream = await docker.buildImage(tarStream(context.entries), {
      t: plan.ref,
      dockerfile: context.dockerfile,
      buildargs: plan.buildArgs,
      labels,
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
