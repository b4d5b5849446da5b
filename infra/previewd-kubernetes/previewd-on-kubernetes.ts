/**
 * previewd itself on a Kubernetes cluster, running the kubernetes runtime: a Deployment (one
 * replica: previewd keeps its state in its data dir, which a second one would contend for) with its
 * data on a PersistentVolumeClaim, a ServiceAccount whose rights reach only the namespaces it creates
 * (previewd-rbac.ts), its token from Pulumi config in a Secret mounted as a file, a Service, and an
 * Ingress with the wildcard host `*.<domain>`: previewd's API and dashboard at `previewd.<domain>`,
 * and any preview host no preview's own Ingress claims.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { previewdRbac } from "./previewd-rbac.ts";

export interface PreviewdKubernetesConfig {
  /** previewd's image, built from this repository and pushed where the cluster pulls. */
  image: string;
  /** The preview domain: previews are `<app>--<env-id>.<domain>`, previewd is `previewd.<domain>`. */
  domain: string;
  /** Where previewd pushes the apps' images (PREVIEWD_KUBERNETES_REGISTRY). */
  registry: string;
  token: pulumi.Input<string>;
  namespace?: string;
  ingressClass?: string;
  storageClass?: string;
  /** The data dir's volume: worktrees, build caches, Pulumi state of every environment. */
  storageSize?: string;
}

export interface PreviewdKubernetesOutputs {
  namespace: string;
  url: string;
  serviceAccount: string;
}

const port = 7070;
const dataDir = "/var/lib/previewd";
const tokenDir = "/var/run/secrets/previewd";

export function previewdOnKubernetes(
  config: PreviewdKubernetesConfig,
  opts: pulumi.CustomResourceOptions = {},
): PreviewdKubernetesOutputs {
  const namespace = config.namespace ?? "previewd";
  // Not previewd.dev/environment: preview NetworkPolicies admit namespaces without it, so previewd reaches them.
  const labels = { "app.kubernetes.io/name": "previewd", "app.kubernetes.io/managed-by": "pulumi" };
  const ns = new k8s.core.v1.Namespace("previewd", { metadata: { name: namespace, labels } }, opts);
  const inNamespace = { ...opts, dependsOn: [ns] };
  const meta = (name: string) => ({ name, namespace, labels });

  const account = new k8s.core.v1.ServiceAccount("previewd", { metadata: meta("previewd") }, inNamespace);
  const rbac = previewdRbac({ serviceAccount: { name: "previewd", namespace }, labels }, opts);
  const token = new k8s.core.v1.Secret(
    "previewd-token",
    { metadata: meta("previewd-token"), type: "Opaque", stringData: { token: pulumi.secret(config.token) } },
    inNamespace,
  );
  const data = new k8s.core.v1.PersistentVolumeClaim(
    "previewd-data",
    {
      metadata: meta("previewd-data"),
      spec: {
        accessModes: ["ReadWriteOnce"],
        ...(config.storageClass && { storageClassName: config.storageClass }),
        resources: { requests: { storage: config.storageSize ?? "20Gi" } },
      },
    },
    inNamespace,
  );
  const env: Record<string, string> = {
    PREVIEWD_HOST: "0.0.0.0",
    PREVIEWD_PORT: String(port),
    PREVIEWD_RUNTIME: "kubernetes",
    PREVIEWD_DATA_DIR: dataDir,
    PREVIEWD_TOKEN_FILE: `${tokenDir}/token`,
    PREVIEWD_BASE_DOMAIN: config.domain,
    PREVIEWD_PUBLIC_URL: `http://previewd.${config.domain}`,
    PREVIEWD_KUBERNETES_REGISTRY: config.registry,
    PREVIEWD_KUBERNETES_BASE_DOMAIN: config.domain,
    // In the cluster previewd talks to the API server as its ServiceAccount, and binds it into each preview namespace.
    PREVIEWD_KUBERNETES_SERVICE_ACCOUNT: `${namespace}/previewd`,
    ...(config.ingressClass && { PREVIEWD_KUBERNETES_INGRESS_CLASS: config.ingressClass }),
    ...(config.storageClass && { PREVIEWD_KUBERNETES_STORAGE_CLASS: config.storageClass }),
  };
  // previewd answers only loopback and its own hosts (DNS rebinding): the kubelet probes as localhost.
  const probe = {
    httpGet: { path: "/healthz", port: "http", httpHeaders: [{ name: "Host", value: "localhost" }] },
  };
  const selector = { "app.kubernetes.io/name": "previewd" };
  new k8s.apps.v1.Deployment(
    "previewd",
    {
      metadata: meta("previewd"),
      spec: {
        replicas: 1,
        // The data volume is ReadWriteOnce and previewd locks its data dir: the old pod goes first.
        strategy: { type: "Recreate" },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: "previewd",
            containers: [
              {
                name: "previewd",
                image: config.image,
                args: ["serve"],
                ports: [{ name: "http", containerPort: port }],
                env: Object.entries(env).map(([name, value]) => ({ name, value })),
                volumeMounts: [
                  { name: "data", mountPath: dataDir },
                  { name: "token", mountPath: tokenDir, readOnly: true },
                ],
                resources: {
                  requests: { cpu: "250m", memory: "512Mi" },
                  limits: { cpu: "2", memory: "4Gi" },
                },
                readinessProbe: { ...probe, periodSeconds: 5 },
                livenessProbe: { ...probe, periodSeconds: 20, failureThreshold: 3 },
              },
            ],
            volumes: [
              { name: "data", persistentVolumeClaim: { claimName: "previewd-data" } },
              { name: "token", secret: { secretName: "previewd-token", defaultMode: 0o400 } },
            ],
          },
        },
      },
    },
    { ...opts, dependsOn: [account, token, data, ...rbac] },
  );
  const service = new k8s.core.v1.Service(
    "previewd",
    {
      metadata: meta("previewd"),
      spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http" }] },
    },
    inNamespace,
  );
  new k8s.networking.v1.Ingress(
    "previewd",
    {
      metadata: meta("previewd"),
      spec: {
        ...(config.ingressClass && { ingressClassName: config.ingressClass }),
        rules: [
          {
            host: `*.${config.domain}`,
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "previewd", port: { name: "http" } } },
                },
              ],
            },
          },
        ],
      },
    },
    { ...opts, dependsOn: [service] },
  );
  return { namespace, url: `http://previewd.${config.domain}`, serviceAccount: `${namespace}/previewd` };
}
