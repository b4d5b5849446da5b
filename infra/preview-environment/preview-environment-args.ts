/** What a preview environment on Kubernetes is made from: the loaded manifest, the environment, its images. */
import type { Manifest } from "../../provisioner/manifest/manifest-schema.ts";

export interface PreviewEnvironmentArgs {
  manifest: Manifest;
  environment: {
    id: string;
    ref: string;
    commit: string;
    /** Preview hosts are `<app>--<id>.<baseDomain>`. */
    baseDomain: string;
    /** The environment's OFREP base URL as the apps reach it (PREVIEW_FLAGS_URL). */
    flagsUrl: string;
    /** PREVIEW_FLAGS_TOKEN, when previewd has a token; kept in a Secret. */
    flagsToken?: string;
    /** Which previewd owns the environment (`previewd.dev/owner` on every object). */
    owner?: string;
  };
  /** App or `command` service name → its image (built per commit, pushed to the registry). */
  images: Record<string, string>;
  settings: PreviewEnvironmentSettings;
  /**
   * Postgres service name → its password. The runtime passes random ones and keeps them with the
   * environment (a password that changed would lock the apps out of a database already created);
   * without one, a password derived from the environment id is used, which is fine for `render`
   * and for a cluster where the NetworkPolicy is the boundary, not for anything else.
   */
  servicePasswords?: Record<string, string>;
}

export interface PreviewEnvironmentSettings {
  /** The Ingress class; default: the cluster's default class. */
  ingressClass?: string;
  /** The Postgres volumes' storage class; default: the cluster's default class. */
  storageClass?: string;
  /** Size of each Postgres volume; default 1Gi. */
  volumeSize?: string;
  /** Image of the namespace's Chromium; default `chromedp/headless-shell:latest`. */
  browserImage?: string;
  /** A TLS Secret (in the namespace, or a wildcard one copied there) for the preview hosts: URLs become https. */
  tlsSecret?: string;
  /**
   * previewd's own ServiceAccount, when previewd runs in the cluster (infra/previewd-kubernetes):
   * a RoleBinding in the namespace grants it the `previewd-environment` ClusterRole there, and only there.
   */
  serviceAccount?: { namespace: string; name: string };
}

export const defaultBrowserImage = "chromedp/headless-shell:latest";
export const browserPort = 9222;
/** The name of everything of the browser: no app or service may be called so (name-rules.ts). */
export const browserName = "browser";

/** `previewd-<env-id>`: at most 49 characters, a DNS label. */
export function namespaceName(envId: string): string {
  return `previewd-${envId}`;
}

/** `<app>--<env-id>.<base-domain>`, as on every runtime (SPEC "Preview URLs"). */
export function previewHost(app: string, envId: string, baseDomain: string): string {
  return `${app}--${envId}.${baseDomain}`;
}

export function previewUrl(
  args: Pick<PreviewEnvironmentArgs, "environment" | "settings">,
  app: string,
): string {
  const scheme = args.settings.tlsSecret ? "https" : "http";
  return `${scheme}://${previewHost(app, args.environment.id, args.environment.baseDomain)}`;
}
