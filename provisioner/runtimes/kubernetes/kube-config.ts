/**
 * The cluster previewd talks to: the kubeconfig files of KUBECONFIG (merged, the first one's
 * current context winning, as kubectl does) or ~/.kube/config, else the in-cluster service
 * account; then the chosen context. The pulumi kubernetes provider reads the same files.
 */
import { access, constants } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { RuntimeUnavailableError, errorMessage } from "../../errors.ts";

export interface KubeEnv {
  KUBECONFIG?: string;
  HOME?: string;
  KUBERNETES_SERVICE_HOST?: string;
}

/** KUBECONFIG may list several files, like kubectl reads it; default ~/.kube/config. */
export function kubeconfigPaths(env: KubeEnv): string[] {
  const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
  return listed.length > 0 ? listed : [path.join(env.HOME ?? os.homedir(), ".kube", "config")];
}

/** The loaded configuration, or a RuntimeUnavailableError naming what is missing or wrong. */
export async function loadKubeConfig(
  context: string | undefined,
  env: KubeEnv = process.env,
): Promise<KubeConfig> {
  const files = kubeconfigPaths(env);
  const readable: string[] = [];
  for (const file of files) {
    if (
      await access(file, constants.R_OK).then(
        () => true,
        () => false,
      )
    )
      readable.push(file);
  }
  const inCluster = readable.length === 0 && env.KUBERNETES_SERVICE_HOST !== undefined && !context;
  if (readable.length === 0 && !inCluster) {
    throw new RuntimeUnavailableError(`a kubeconfig (none readable at ${files.join(", ")}; set KUBECONFIG)`);
  }
  // Loaded on first use: previewd starts (and its CLI answers) without reading the client's modules.
  const { KubeConfig } = await import("@kubernetes/client-node");
  const config = new KubeConfig();
  if (inCluster) {
    config.loadFromCluster();
    return config;
  }
  try {
    for (const [index, file] of readable.entries()) {
      const one = new KubeConfig();
      one.loadFromFile(file);
      if (index === 0) config.mergeConfig(one, false);
      else config.mergeConfig(one, true);
    }
  } catch (error) {
    throw new RuntimeUnavailableError(
      `a kubeconfig that can be read (${readable.join(", ")}: ${errorMessage(error)})`,
      { cause: error },
    );
  }
  const contexts = config.getContexts().map((c) => c.name);
  if (context) {
    if (!contexts.includes(context)) {
      throw new RuntimeUnavailableError(
        `the kubeconfig context ${context} (PREVIEWD_KUBERNETES_CONTEXT; ${readable.join(", ")} has ${contexts.join(", ") || "none"})`,
      );
    }
    config.setCurrentContext(context);
  } else if (!contexts.includes(config.getCurrentContext())) {
    throw new RuntimeUnavailableError(
      `a kubeconfig context (${readable.join(", ")} has no current context; run kubectl config use-context, or set PREVIEWD_KUBERNETES_CONTEXT)`,
    );
  }
  if (!config.getCurrentCluster()) {
    throw new RuntimeUnavailableError(
      `a cluster for the kubeconfig context ${config.getCurrentContext()} (${readable.join(", ")})`,
    );
  }
  return config;
}
