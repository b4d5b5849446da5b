/**
 * The Pulumi program of one preview environment on Kubernetes: the inline program the kubernetes
 * runtime hands to the Automation API (a stack per environment) and that `previewd render` runs
 * under `pulumi.runtime.setMocks`. It turns the loaded manifest into the `PreviewEnvironment`
 * component of infra/preview-environment/.
 *
 * Agreed signature (the runtime and `render` code against it). Everything added since is optional.
 */
import type { Manifest } from "../../manifest/manifest-schema.ts";

export interface PreviewProgramInput {
  manifest: Manifest;
  environment: {
    id: string;
    ref: string;
    commit: string;
    baseDomain: string;
    flagsUrl: string;
    /** PREVIEW_FLAGS_TOKEN for the apps when previewd has a token; it goes into a Secret. */
    flagsToken?: string;
    /** The previewd that owns it: `previewd.dev/owner` on the namespace and every object. */
    owner?: string;
  };
  /** App (or `command` service) name → image reference pushed to the configured registry. */
  images: Record<string, string>;
  settings: KubernetesSettings;
  /**
   * Postgres service name → password. Pass random ones kept with the environment: a password that
   * changes between updates locks the apps out of the database already initialised. Without one,
   * a password derived from the environment id is used (fine for `previewd render`).
   */
  servicePasswords?: Record<string, string>;
}

export interface KubernetesSettings {
  /** Where per-commit app images are pushed, e.g. `localhost:5001/previews`. */
  registry: string;
  ingressClass?: string;
  storageClass?: string;
  /** Image of the namespace's Chromium (the bridge's browser). */
  browserImage?: string;
  /** A TLS Secret for the preview hosts in each namespace: URLs become https. */
  tlsSecret?: string;
  /** Size of each Postgres volume; default 1Gi. */
  volumeSize?: string;
  /**
   * previewd's ServiceAccount when it runs in the cluster (infra/previewd-kubernetes): bound to the
   * `previewd-environment` ClusterRole in each namespace it creates, and nowhere else.
   */
  serviceAccount?: { namespace: string; name: string };
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

/**
 * The component is imported when the program runs, not with this module, so whoever imports the
 * signature (the runtime's registry, the CLI) does not load @pulumi/pulumi and @pulumi/kubernetes.
 * Bad input (an app without a `docker` block, a missing image) rejects before any resource exists.
 */
export function previewProgram(input: PreviewProgramInput): PreviewProgram {
  return async () => {
    const { PreviewEnvironment } = await import("../../../infra/preview-environment/index.ts");
    const environment = new PreviewEnvironment(`previewd-${input.environment.id}`, {
      manifest: input.manifest,
      environment: input.environment,
      images: input.images,
      // The registry is not needed here: it only named the images, which arrive complete.
      settings: input.settings,
      ...(input.servicePasswords && { servicePasswords: input.servicePasswords }),
    });
    return environment.outputs;
  };
}
