/**
 * The kubernetes runtime as previewd registers it: settings from PREVIEWD_KUBERNETES_* and
 * PREVIEWD_PULUMI_* variables, the real parts (kubernetes-parts.ts). Cheap to construct: nothing
 * is loaded or checked until an environment asks for the runtime (or a restart reconciles).
 */
import type { Logger } from "../../logger.ts";
import type { Runtime } from "../runtime.ts";
import { realKubernetesParts } from "./kubernetes-parts.ts";
import { createKubernetesRuntime } from "./kubernetes-runtime.ts";
import { kubernetesSettingsFromEnv } from "./kubernetes-settings.ts";

export interface KubernetesFromEnvOptions {
  ownerId: string;
  logger: Logger;
  /** previewd's data dir: the default Pulumi backend and the stacks' passphrase live under it. */
  dataDir: string;
  /** previewd's base domain; the preview hosts' on the cluster unless PREVIEWD_KUBERNETES_BASE_DOMAIN says otherwise. */
  baseDomain: string;
}

export function kubernetesRuntimeFromEnv(options: KubernetesFromEnvOptions, env = process.env): Runtime {
  const settings = kubernetesSettingsFromEnv(
    { dataDir: options.dataDir, baseDomain: options.baseDomain },
    env,
  );
  return createKubernetesRuntime({
    ownerId: options.ownerId,
    logger: options.logger,
    settings,
    parts: realKubernetesParts({ ...options, settings, env }),
  });
}
