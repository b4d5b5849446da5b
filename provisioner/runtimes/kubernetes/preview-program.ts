/**
 * The Pulumi program of one preview environment on Kubernetes: the inline program the kubernetes
 * runtime hands to the Automation API (a stack per environment) and that `previewd render` runs
 * under `pulumi.runtime.setMocks`. It turns the loaded manifest into the `PreviewEnvironment`
 * component of infra/preview-environment/.
 *
 * Agreed signature (the runtime and `render` code against it). Everything added since is optional.
 */
import type {
  PreviewEnvironmentArgs,
  PreviewEnvironmentSettings,
} from "../../../infra/preview-environment/preview-environment-args.ts";

/**
 * The component's arguments (infra/preview-environment/ stands alone and owns their shape), with
 * the registry the runtime pushes images to.
 */
export type PreviewProgramInput = Omit<PreviewEnvironmentArgs, "settings"> & { settings: KubernetesSettings };

export interface KubernetesSettings extends PreviewEnvironmentSettings {
  /** Where per-commit app images are pushed, e.g. `localhost:5001/previews`. */
  registry: string;
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
