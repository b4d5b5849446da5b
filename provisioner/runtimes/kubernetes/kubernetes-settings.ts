/**
 * The kubernetes runtime's configuration, from PREVIEWD_KUBERNETES_* and PREVIEWD_PULUMI_*
 * variables (docs/kubernetes.md). Only the registry has no default; prerequisites say so.
 */
import path from "node:path";
import { ValidationError } from "../../errors.ts";
import type { KubernetesSettings } from "./preview-program.ts";

export interface KubernetesRuntimeSettings extends Omit<KubernetesSettings, "registry"> {
  /** Where app images are pushed; undefined until PREVIEWD_KUBERNETES_REGISTRY is set. */
  registry?: string;
  /** The Pulumi backend: `file://<dataDir>/pulumi` by default, or Pulumi Cloud, or `s3://…`. */
  backendUrl: string;
  /** The kubeconfig context to use; default: the kubeconfig's current context. */
  context?: string;
  /** The preview hosts' domain (`<app>--<env-id>.<baseDomain>`) on the cluster's Ingress. */
  baseDomain: string;
}

export type SettingsEnv = Record<string, string | undefined>;

export function kubernetesSettingsFromEnv(
  defaults: { dataDir: string; baseDomain: string },
  env: SettingsEnv = process.env,
): KubernetesRuntimeSettings {
  const value = (name: string) => (env[name]?.trim() ? env[name].trim() : undefined);
  const registry = value("PREVIEWD_KUBERNETES_REGISTRY");
  const context = value("PREVIEWD_KUBERNETES_CONTEXT");
  const ingressClass = value("PREVIEWD_KUBERNETES_INGRESS_CLASS");
  const storageClass = value("PREVIEWD_KUBERNETES_STORAGE_CLASS");
  const browserImage = value("PREVIEWD_KUBERNETES_BROWSER_IMAGE");
  const serviceAccount = value("PREVIEWD_KUBERNETES_SERVICE_ACCOUNT");
  return {
    backendUrl: value("PREVIEWD_PULUMI_BACKEND") ?? defaultBackendUrl(defaults.dataDir),
    baseDomain: value("PREVIEWD_KUBERNETES_BASE_DOMAIN") ?? defaults.baseDomain,
    ...(registry && { registry: registry.replace(/\/+$/, "") }),
    ...(context && { context }),
    ...(ingressClass && { ingressClass }),
    ...(storageClass && { storageClass }),
    ...(browserImage && { browserImage }),
    ...(serviceAccount && {
      serviceAccount: namespacedName("PREVIEWD_KUBERNETES_SERVICE_ACCOUNT", serviceAccount),
    }),
  };
}

/** `<namespace>/<name>` of previewd's own ServiceAccount when it runs in the cluster (infra/previewd-kubernetes). */
function namespacedName(variable: string, value: string): { namespace: string; name: string } {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(value);
  if (!match) {
    const message = `expected <namespace>/<service-account>, got ${JSON.stringify(value)}`;
    throw new ValidationError("invalid configuration", { errors: [{ path: variable, message }] });
  }
  return { namespace: match[1]!, name: match[3]! };
}

/** State of every stack in previewd's own data dir: nothing to sign up for, gone with the data dir. */
export function defaultBackendUrl(dataDir: string): string {
  return `file://${path.join(dataDir, "pulumi")}`;
}
