/**
 * ImagePublisher on the local Docker engine: the docker runtime's own image code plans and
 * builds the image of an app or a `command` service (content-addressed, shared builds, failing
 * step named), then it is tagged under the registry and pushed. A named image (`docker.image`) is
 * the cluster's to pull.
 */
import type Docker from "dockerode";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import { ensureAppImage, planAppImage } from "../docker/app-image.ts";
import { dockerBlock, serviceAsApp } from "../docker/service-image.ts";
import type { RuntimeEnvironment } from "../runtime.ts";
import { followProgress } from "../docker/docker-progress.ts";
import type { ImagePublisher } from "./image-publisher.ts";

export interface DockerImagePublisherOptions {
  docker: Docker;
  owner: string;
  /** e.g. `localhost:5001/previews`. */
  registry: string;
}

/** `previewd-shop-api:3f2a…` under `localhost:5001/previews` → `localhost:5001/previews/previewd-shop-api:3f2a…`. */
export function registryRef(registry: string, localRef: string): { repo: string; tag: string; ref: string } {
  const colon = localRef.lastIndexOf(":");
  const repo = `${registry.replace(/\/+$/, "")}/${localRef.slice(0, colon)}`;
  const tag = localRef.slice(colon + 1);
  return { repo, tag, ref: `${repo}:${tag}` };
}

export function dockerImagePublisher(options: DockerImagePublisherOptions): ImagePublisher {
  const { docker } = options;
  return {
    async publish(env, app, publish) {
      const manifest = asAppManifest(env, app);
      const plan = await planAppImage({
        rootDir: env.rootDir,
        manifest,
        app,
        ...(publish.variables && { variables: publish.variables }),
      });
      if (plan.kind === "named") return { ref: plan.ref, built: false };
      const made = await ensureAppImage(plan, {
        docker,
        owner: options.owner,
        envId: env.id,
        manifest,
        signal: publish.signal,
        onLine: publish.onLine,
      });
      const target = registryRef(options.registry, made.ref);
      try {
        await docker.getImage(made.ref).tag({ repo: target.repo, tag: target.tag });
        const stream = await docker.getImage(target.ref).push({ abortSignal: publish.signal });
        await followProgress(docker, stream, (event) => {
          if (event.status) publish.onLine(`push ${target.ref}: ${event.status}`);
        });
      } catch (error) {
        throw new ProvisionError(
          `cannot push ${target.ref} (PREVIEWD_KUBERNETES_REGISTRY): ${errorMessage(error)}`,
          "build",
          app,
          [],
          { cause: error },
        );
      }
      return { ref: target.ref, built: made.built };
    },
  };
}

/** A `command` service is built as the one app of a manifest of its own, as the docker runtime does. */
function asAppManifest(env: RuntimeEnvironment, name: string): Manifest {
  const service = env.manifest.services[name];
  if (env.manifest.apps[name] || service?.type !== "command") return env.manifest;
  return { ...env.manifest, apps: { [name]: serviceAsApp(dockerBlock(name, service)) } };
}
