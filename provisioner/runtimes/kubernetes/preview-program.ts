/**
 * The Pulumi program of one preview environment on Kubernetes: the inline program the kubernetes
 * runtime hands to the Automation API (a stack per environment) and that `previewd render` runs
 * under `pulumi.runtime.setMocks`. It turns the loaded manifest into the `PreviewEnvironment`
 * component of infra/preview-environment/.
 *
 * Agreed signature (the runtime and `render` code against it); the body is being written.
 */
import type { Manifest } from "../../manifest/manifest-schema.ts";

export interface PreviewProgramInput {
  manifest: Manifest;
  environment: { id: string; ref: string; commit: string; baseDomain: string; flagsUrl: string };
  /** app name → image reference pushed to the configured registry. */
  images: Record<string, string>;
  settings: KubernetesSettings;
}

export interface KubernetesSettings {
  /** Where per-commit app images are pushed, e.g. `localhost:5001/previews`. */
  registry: string;
  ingressClass?: string;
  storageClass?: string;
  /** Image of the namespace's Chromium (the bridge's browser). */
  browserImage?: string;
}

/** What the program exports: the runtime turns these into URLs, ports to forward and the bridge. */
export interface PreviewProgramOutputs {
  namespace: string;
  /** app name → preview URL (`http://<app>--<env-id>.<base-domain>`). */
  urls: Record<string, string>;
  /** app name → in-cluster Service name and port, for port-forwards (`directUrl`). */
  appServices: Record<string, { service: string; port: number }>;
  /** The Chromium Service the bridge forwards to. */
  browserService: { service: string; port: number };
}

export type PreviewProgram = () => Promise<PreviewProgramOutputs>;

export function previewProgram(input: PreviewProgramInput): PreviewProgram {
  return () =>
    Promise.reject(new Error(`previewProgram for ${input.environment.id}: not written yet`));
}
