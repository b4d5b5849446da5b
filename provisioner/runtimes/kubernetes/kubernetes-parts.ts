/**
 * The real parts of the kubernetes runtime: the Automation API engine (the passphrase file made
 * under previewd's data dir), the cluster through @kubernetes/client-node, images built by the
 * local Docker engine and pushed to the registry, the preview program. Each is made on first use,
 * and made again after a failure (a kubeconfig fixed meanwhile).
 */
import { connectEngine, engineSocket } from "../docker/docker-engine.ts";
import type { Logger } from "../../logger.ts";
import { createAutomationEngine } from "./automation-engine.ts";
import { dockerImagePublisher } from "./docker-image-publisher.ts";
import { kubeCluster } from "./kube-cluster.ts";
import { loadKubeConfig } from "./kube-config.ts";
import {
  assertKubernetesPrerequisites,
  pulumiCli,
  pulumiHome,
  type PrerequisiteEnv,
} from "./kubernetes-prerequisites.ts";
import type { KubernetesParts } from "./kubernetes-runtime.ts";
import type { KubernetesRuntimeSettings } from "./kubernetes-settings.ts";
import { previewProgram } from "./preview-program.ts";
import { ensurePassphraseFile } from "./stack-passphrase.ts";

export interface RealPartsOptions {
  ownerId: string;
  logger: Logger;
  /** previewd's data dir: the passphrase file (and the default file backend) live under it. */
  dataDir: string;
  settings: KubernetesRuntimeSettings;
  env?: PrerequisiteEnv;
}

export function realKubernetesParts(options: RealPartsOptions): KubernetesParts {
  const { settings, logger } = options;
  const env = options.env ?? process.env;
  const wanted = {
    ...(settings.registry && { registry: settings.registry }),
    ...(settings.context && { context: settings.context }),
  };
  return {
    checkAvailable: () => assertKubernetesPrerequisites(wanted, env),
    engine: once(async () => {
      const cli = await pulumiCli(env);
      const home = pulumiHome(env);
      return createAutomationEngine({
        backendUrl: settings.backendUrl,
        passphraseFile: await ensurePassphraseFile(options.dataDir),
        // Not on PATH: the Automation API is pointed at the installation under PULUMI_HOME.
        ...(cli?.startsWith(home) && { pulumiHome: home }),
        ...(settings.context && { context: settings.context }),
      });
    }),
    cluster: once(async () => kubeCluster(await loadKubeConfig(settings.context, env), { logger })),
    images: once(() =>
      Promise.resolve(
        dockerImagePublisher({
          docker: connectEngine(engineSocket()),
          owner: options.ownerId,
          registry: settings.registry ?? "",
        }),
      ),
    ),
    program: previewProgram,
  };
}

/** The first successful result, shared; a failed attempt is forgotten. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
}
