/**
 * The namespace and what fences it: a NetworkPolicy that admits traffic from its own pods and from
 * namespaces that are not previews (the ingress controller, previewd itself), so no preview reaches
 * another; a ResourceQuota sized from what the environment's containers ask for; a LimitRange for
 * any container that names no resources (the quota refuses pods without them); and, when previewd
 * runs in the cluster, the RoleBinding that lets its ServiceAccount manage this namespace only.
 */
import { ENV_LABEL, environmentLabels } from "./labels.ts";
import { meta, type PlanContext } from "./plan-context.ts";
import {
  planned,
  type LimitRangeSpec,
  type NetworkPolicySpec,
  type PlannedObject,
  type ResourceQuotaSpec,
} from "./planned-object.ts";
import { memoryQuantity, quantities, scale, sum, type ContainerAmounts } from "./resources.ts";

/** The ClusterRole infra/previewd-kubernetes defines: what previewd may do inside a preview namespace. */
export const environmentClusterRole = "previewd-environment";

export function namespaceObject(ctx: PlanContext): PlannedObject {
  const { ref, commit } = ctx.args.environment;
  return planned(
    "v1",
    "Namespace",
    {
      name: ctx.namespace,
      labels: {
        ...environmentLabels(ctx.labels),
        // Pods of previews run as their images say, but never privileged or with host access.
        "pod-security.kubernetes.io/enforce": "baseline",
      },
      // A ref may hold "/" and be long: annotations, not labels.
      annotations: { "previewd.dev/ref": ref, "previewd.dev/commit": commit },
    },
    {},
  );
}

export function networkPolicy(ctx: PlanContext): PlannedObject {
  const spec: NetworkPolicySpec = {
    podSelector: {},
    policyTypes: ["Ingress"],
    ingress: [
      { from: [{ podSelector: {} }] },
      // Any namespace without the environment label: ingress controllers, previewd, monitoring.
      { from: [{ namespaceSelector: { matchExpressions: [{ key: ENV_LABEL, operator: "DoesNotExist" }] } }] },
    ],
  };
  return planned("networking.k8s.io/v1", "NetworkPolicy", meta(ctx, "isolate-preview"), { spec });
}

/**
 * Twice what every long-running container may use (a rolling update runs the new pod beside the
 * old one) plus one release at a time, and one volume per Postgres service.
 */
export function resourceQuota(
  ctx: PlanContext,
  workloads: ContainerAmounts[],
  releases: ContainerAmounts[],
  volumes: number,
): PlannedObject {
  const largestRelease = releases.reduce<ContainerAmounts | undefined>(
    (largest, r) => (!largest || r.limits.memory > largest.limits.memory ? r : largest),
    undefined,
  );
  const total = (pick: (a: ContainerAmounts) => { cpu: number; memory: number }) =>
    sum([scale(sum(workloads.map(pick)), 2), ...(largestRelease ? [pick(largestRelease)] : [])]);
  const limits = quantities(total((a) => a.limits));
  const requests = quantities(total((a) => a.requests));
  const storage = ctx.args.settings.volumeSize ?? "1Gi";
  const spec: ResourceQuotaSpec = {
    hard: {
      pods: String(workloads.length * 2 + (largestRelease ? 1 : 0)),
      "limits.cpu": limits.cpu,
      "limits.memory": limits.memory,
      "requests.cpu": requests.cpu,
      "requests.memory": requests.memory,
      persistentvolumeclaims: String(volumes),
      ...(volumes > 0 && { "requests.storage": multiply(storage, volumes) }),
    },
  };
  return planned("v1", "ResourceQuota", meta(ctx, "preview"), { spec });
}

export function limitRange(ctx: PlanContext): PlannedObject {
  const spec: LimitRangeSpec = {
    limits: [
      {
        type: "Container",
        default: { cpu: "500m", memory: memoryQuantity(512 * 1024 ** 2) },
        defaultRequest: { cpu: "50m", memory: memoryQuantity(128 * 1024 ** 2) },
      },
    ],
  };
  return planned("v1", "LimitRange", meta(ctx, "preview"), { spec });
}

/** previewd's ServiceAccount may manage this namespace (and, through the same ClusterRole, no other). */
export function serviceAccountBinding(ctx: PlanContext): PlannedObject | undefined {
  const account = ctx.args.settings.serviceAccount;
  if (!account) return undefined;
  return planned("rbac.authorization.k8s.io/v1", "RoleBinding", meta(ctx, "previewd"), {
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: environmentClusterRole },
    subjects: [{ kind: "ServiceAccount", name: account.name, namespace: account.namespace }],
  });
}

/** `1Gi` × 3 → `3Gi`; any other quantity is repeated in a sum the API server understands. */
function multiply(quantity: string, times: number): string {
  const match = /^(\d+)([A-Za-z]*)$/.exec(quantity);
  if (!match) return quantity;
  return `${Number(match[1]) * times}${match[2] ?? ""}`;
}
