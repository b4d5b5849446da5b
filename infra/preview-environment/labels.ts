/**
 * Labels on every object of a preview environment, in Kubernetes' `prefix/name` form: the same
 * keys the kubernetes runtime selects by (provisioner/runtimes/kubernetes/kubernetes-labels.ts,
 * checked equal by a test), so a restarted previewd finds its namespaces and pods without a record.
 */
export const OWNER_LABEL = "previewd.dev/owner";
export const ENV_LABEL = "previewd.dev/environment";
/** On pods: the app or service a container belongs to (what its log lines are labelled with). */
export const APP_LABEL = "previewd.dev/app";
export const ROLE_LABEL = "previewd.dev/role";

export type Role = "app" | "release" | "service" | "browser" | "environment";

export interface LabelContext {
  envId: string;
  /** The manifest's name. */
  project: string;
  owner?: string;
}

/** What the Namespace and every object in it carry. */
export function environmentLabels(ctx: LabelContext): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "previewd",
    "app.kubernetes.io/part-of": ctx.project,
    [ENV_LABEL]: ctx.envId,
    ...(ctx.owner !== undefined && { [OWNER_LABEL]: ctx.owner }),
  };
}

/** An app's, service's or the browser's objects and pods. */
export function workloadLabels(ctx: LabelContext, name: string, role: Role): Record<string, string> {
  return {
    ...environmentLabels(ctx),
    "app.kubernetes.io/name": name,
    [APP_LABEL]: name,
    [ROLE_LABEL]: role,
  };
}

/**
 * What a workload's selector and its Service match: immutable, so only what never changes. The role
 * keeps an app's release Job pods (labelled with the app, so their output is the app's logs) out of
 * its Service.
 */
export function selectorLabels(ctx: LabelContext, name: string, role: Role): Record<string, string> {
  return { [ENV_LABEL]: ctx.envId, [APP_LABEL]: name, [ROLE_LABEL]: role };
}
