/**
 * What previewd's ServiceAccount may do. RBAC cannot say "the namespaces you create": a Role lives
 * in one namespace, and creating namespaces is cluster-wide. So:
 * - `previewd-namespaces` (ClusterRole, bound cluster-wide): namespaces (create, delete, read,
 *   patch), and RoleBindings of the one ClusterRole below (`bind` with its resourceName) — nothing
 *   inside any namespace;
 * - `previewd-environment` (ClusterRole, bound cluster-wide to nobody): what previewd does inside a
 *   preview namespace (workloads, Services, Secrets, Ingress, NetworkPolicy, quota, pods' logs and
 *   port-forwards). Each preview's own RoleBinding (the PreviewEnvironment component creates it
 *   right after its Namespace) grants it there, and only there;
 * - RBAC has no label selectors, so a ValidatingAdmissionPolicy adds the selector: the
 *   ServiceAccount may create, change or delete only namespaces labelled `previewd.dev/owner`, and
 *   write RoleBindings only inside them — it cannot bind itself into kube-system or relabel a
 *   namespace that is not a preview's.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

export const namespacesRole = "previewd-namespaces";
export const environmentRole = "previewd-environment";
const ownerLabel = "previewd.dev/owner";

export interface RbacArgs {
  serviceAccount: { name: string; namespace: string };
  labels: Record<string, string>;
}

export function previewdRbac(args: RbacArgs, opts: pulumi.CustomResourceOptions): pulumi.CustomResource[] {
  const { serviceAccount, labels } = args;
  const subject = { kind: "ServiceAccount", name: serviceAccount.name, namespace: serviceAccount.namespace };
  const username = `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`;
  const namespaces = new k8s.rbac.v1.ClusterRole(
    namespacesRole,
    {
      metadata: { name: namespacesRole, labels },
      rules: [
        {
          apiGroups: [""],
          resources: ["namespaces"],
          verbs: ["create", "delete", "get", "list", "watch", "patch", "update"],
        },
        {
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["rolebindings"],
          verbs: ["create", "delete", "get", "patch", "update"],
        },
        // Lets it bind previewd-environment (and only that role) in a preview namespace without holding it everywhere.
        {
          apiGroups: ["rbac.authorization.k8s.io"],
          resources: ["clusterroles"],
          verbs: ["bind"],
          resourceNames: [environmentRole],
        },
      ],
    },
    opts,
  );
  const environment = new k8s.rbac.v1.ClusterRole(
    environmentRole,
    {
      metadata: { name: environmentRole, labels },
      rules: [
        {
          apiGroups: [""],
          resources: [
            "secrets",
            "services",
            "resourcequotas",
            "limitranges",
            "persistentvolumeclaims",
            "configmaps",
          ],
          verbs: ["create", "delete", "get", "list", "watch", "patch", "update"],
        },
        { apiGroups: [""], resources: ["pods", "pods/log", "events"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/portforward"], verbs: ["create", "get"] },
        {
          apiGroups: ["apps"],
          resources: ["deployments", "statefulsets", "replicasets"],
          verbs: ["create", "delete", "get", "list", "watch", "patch", "update"],
        },
        {
          apiGroups: ["batch"],
          resources: ["jobs"],
          verbs: ["create", "delete", "get", "list", "watch", "patch", "update"],
        },
        {
          apiGroups: ["networking.k8s.io"],
          resources: ["ingresses", "networkpolicies"],
          verbs: ["create", "delete", "get", "list", "watch", "patch", "update"],
        },
      ],
    },
    opts,
  );
  const isPreviewd = `request.userInfo.username == "${username}"`;
  const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
    "previewd-own-namespaces",
    {
      metadata: { name: "previewd-own-namespaces", labels },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [""],
              apiVersions: ["v1"],
              operations: ["CREATE", "UPDATE", "DELETE"],
              resources: ["namespaces"],
            },
            {
              apiGroups: ["rbac.authorization.k8s.io"],
              apiVersions: ["v1"],
              operations: ["CREATE", "UPDATE", "DELETE"],
              resources: ["rolebindings"],
            },
          ],
        },
        // Only previewd's own requests are checked; everyone else is as RBAC says.
        matchConditions: [{ name: "previewd-only", expression: isPreviewd }],
        validations: [
          {
            // Namespaces: the new state (create, update) and the old one (update, delete) carry the owner label.
            expression: `request.resource.resource != "namespaces" || ((request.operation == "DELETE" || has(object.metadata.labels) && "${ownerLabel}" in object.metadata.labels) && (request.operation == "CREATE" || has(oldObject.metadata.labels) && "${ownerLabel}" in oldObject.metadata.labels))`,
            message: `previewd may only create, change or delete namespaces labelled ${ownerLabel}`,
          },
          {
            expression: `request.resource.resource != "rolebindings" || (has(namespaceObject.metadata.labels) && "${ownerLabel}" in namespaceObject.metadata.labels)`,
            message: `previewd may only write RoleBindings in namespaces labelled ${ownerLabel}`,
          },
        ],
      },
    },
    opts,
  );
  const policyBinding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
    "previewd-own-namespaces",
    {
      metadata: { name: "previewd-own-namespaces", labels },
      spec: { policyName: "previewd-own-namespaces", validationActions: ["Deny"] },
    },
    { ...opts, dependsOn: [policy] },
  );
  // The ServiceAccount gets its rights only once the fence is up.
  const binding = new k8s.rbac.v1.ClusterRoleBinding(
    namespacesRole,
    {
      metadata: { name: namespacesRole, labels },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: namespacesRole },
      subjects: [subject],
    },
    { ...opts, dependsOn: [namespaces, policyBinding] },
  );
  return [namespaces, environment, binding, policy, policyBinding];
}
