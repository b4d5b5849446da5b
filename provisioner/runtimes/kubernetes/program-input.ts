/** What the preview program is handed for one environment: its manifest, identity, images and settings. */
import type { RuntimeEnvironment } from "../runtime.ts";
import type { KubernetesRuntimeSettings } from "./kubernetes-settings.ts";
import type { PreviewProgramInput } from "./preview-program.ts";

export function programInput(
  env: RuntimeEnvironment,
  settings: KubernetesRuntimeSettings,
  owner: string,
  images: Record<string, string>,
  passwords: Record<string, string>,
): PreviewProgramInput {
  return {
    manifest: env.manifest,
    environment: {
      id: env.id,
      ref: env.ref,
      commit: env.commit,
      baseDomain: settings.baseDomain,
      flagsUrl: env.flagsUrl,
      // `previewd.dev/owner` on every object: what reconcile selects by.
      owner,
      ...(env.flagsToken && { flagsToken: env.flagsToken }),
    },
    images,
    servicePasswords: passwords,
    settings: {
      registry: settings.registry ?? "",
      ...(settings.ingressClass && { ingressClass: settings.ingressClass }),
      ...(settings.storageClass && { storageClass: settings.storageClass }),
      ...(settings.browserImage && { browserImage: settings.browserImage }),
    },
  };
}
