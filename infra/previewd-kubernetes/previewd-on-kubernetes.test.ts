import { describe, expect, it } from "vitest";
import { runUnderMocks, type RegisteredResource } from "../preview-environment/mocked-program.ts";
import { schemaErrors } from "../kubernetes-schema.test-helper.ts";
import { previewdOnKubernetes } from "./previewd-on-kubernetes.ts";

const secretSignature = "4dabf18193072939515e22adb298388d";
/** Pulumi hands mocks a secret wrapped with its signature; the object itself has the value. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (secretSignature in record) return plain(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
}

describe("infra/previewd-kubernetes: previewd on a cluster", () => {
  it("deploys previewd with a namespace-scoped ServiceAccount, its data on a claim, a wildcard Ingress, every object schema-valid", async () => {
    const run = await runUnderMocks(async () =>
      previewdOnKubernetes({
        image: "registry.example.com/previewd:0.1.0",
        domain: "previews.example.com",
        registry: "registry.example.com/previews",
        token: "s3cret-token",
        ingressClass: "nginx",
        storageClass: "fast",
      }),
    );
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects read field by field
    const objects = run.resources.map((r: RegisteredResource) => plain(r.inputs) as Record<string, any>);
    const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
    const one = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && o.metadata.name === name)!;

    expect(objects.flatMap(schemaErrors)).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        "ClusterRole/previewd-environment",
        "ClusterRole/previewd-namespaces",
        "ClusterRoleBinding/previewd-namespaces",
        "Deployment/previewd",
        "Ingress/previewd",
        "Namespace/previewd",
        "PersistentVolumeClaim/previewd-data",
        "Secret/previewd-token",
        "Service/previewd",
        "ServiceAccount/previewd",
        "ValidatingAdmissionPolicy/previewd-own-namespaces",
        "ValidatingAdmissionPolicyBinding/previewd-own-namespaces",
      ].sort(),
    );
    expect(run.outputs).toEqual({
      namespace: "previewd",
      url: "http://previewd.previews.example.com",
      serviceAccount: "previewd/previewd",
    });

    // Cluster-wide, only namespaces and the binding of the one environment role; nothing inside any namespace.
    const namespaces = one("ClusterRole", "previewd-namespaces");
    expect(namespaces.rules).toEqual([
      expect.objectContaining({ apiGroups: [""], resources: ["namespaces"] }),
      expect.objectContaining({ resources: ["rolebindings"] }),
      {
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["clusterroles"],
        verbs: ["bind"],
        resourceNames: ["previewd-environment"],
      },
    ]);
    expect(byKind("ClusterRoleBinding").map((b) => b.roleRef.name)).toEqual(["previewd-namespaces"]);
    expect(one("ClusterRoleBinding", "previewd-namespaces").subjects).toEqual([
      { kind: "ServiceAccount", name: "previewd", namespace: "previewd" },
    ]);
    const environmentRules = one("ClusterRole", "previewd-environment").rules as Array<{
      resources: string[];
    }>;
    expect(environmentRules.flatMap((r) => r.resources)).toEqual(
      expect.arrayContaining([
        "deployments",
        "statefulsets",
        "jobs",
        "ingresses",
        "networkpolicies",
        "pods/log",
        "pods/portforward",
      ]),
    );
    expect(environmentRules.flatMap((r) => r.resources)).not.toContain("namespaces");
    const policy = one("ValidatingAdmissionPolicy", "previewd-own-namespaces").spec;
    expect(policy.matchConditions[0].expression).toBe(
      'request.userInfo.username == "system:serviceaccount:previewd:previewd"',
    );
    expect(policy.validations.map((v: { expression: string }) => v.expression).join(" ")).toContain(
      '"previewd.dev/owner" in',
    );
    expect(one("ValidatingAdmissionPolicyBinding", "previewd-own-namespaces").spec.validationActions).toEqual(
      ["Deny"],
    );

    const deployment = one("Deployment", "previewd").spec;
    const pod = deployment.template.spec;
    const env = Object.fromEntries(
      pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    expect(pod.serviceAccountName).toBe("previewd");
    expect(deployment.strategy).toEqual({ type: "Recreate" });
    expect(env).toMatchObject({
      PREVIEWD_RUNTIME: "kubernetes",
      PREVIEWD_HOST: "0.0.0.0",
      PREVIEWD_TOKEN_FILE: "/var/run/secrets/previewd/token",
      PREVIEWD_BASE_DOMAIN: "previews.example.com",
      PREVIEWD_KUBERNETES_REGISTRY: "registry.example.com/previews",
      PREVIEWD_KUBERNETES_SERVICE_ACCOUNT: "previewd/previewd",
    });
    expect(JSON.stringify(deployment)).not.toContain("s3cret-token");
    expect(one("Secret", "previewd-token").stringData).toEqual({ token: "s3cret-token" });
    expect(pod.volumes).toEqual(
      expect.arrayContaining([
        { name: "data", persistentVolumeClaim: { claimName: "previewd-data" } },
        { name: "token", secret: { secretName: "previewd-token", defaultMode: 0o400 } },
      ]),
    );
    expect(one("PersistentVolumeClaim", "previewd-data").spec).toMatchObject({
      storageClassName: "fast",
      accessModes: ["ReadWriteOnce"],
    });
    const ingress = one("Ingress", "previewd").spec;
    expect(ingress.ingressClassName).toBe("nginx");
    expect(ingress.rules[0].host).toBe("*.previews.example.com");
    // Preview NetworkPolicies admit namespaces without the environment label: previewd's has none.
    expect(one("Namespace", "previewd").metadata.labels).not.toHaveProperty("previewd.dev/environment");
  });
});
