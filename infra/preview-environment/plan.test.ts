import { describe, expect, it } from "vitest";
import { ManifestError, ValidationError } from "../../provisioner/errors.ts";
import { parseManifest } from "../../provisioner/manifest/load-manifest.ts";
import * as runtimeLabels from "../../provisioner/runtimes/kubernetes/kubernetes-labels.ts";
import { schemaErrors } from "../kubernetes-schema.test-helper.ts";
import { APP_LABEL, ENV_LABEL, OWNER_LABEL } from "./labels.ts";
import { planPreviewEnvironment } from "./plan.ts";
import { manifestOf, type PlannedObject } from "./planned-object.ts";
import type { PreviewEnvironmentArgs } from "./preview-environment-args.ts";

const manifest = parseManifest(
  `
version: 1
name: store
env: { SHARED: "yes" }
services:
  db: { type: postgres, database: store }
  cache: { type: redis }
  payments:
    type: command
    health: /healthz
    env: { API: "\${apps.api.url}" }
    docker: { dockerfile: twins/Dockerfile, port: 4010 }
apps:
  api:
    release: node migrate.js
    health: { path: /healthz, timeout: 90 }
    env:
      DATABASE_URL: \${services.db.url}
      PGHOST: \${services.db.host}
      REDIS_URL: \${services.cache.url}
      PAYMENTS_URL: \${services.payments.url}
      LITERAL: "echo $(whoami)"
    depends_on: [db, cache, payments]
    docker: { dockerfile: apps/api/Dockerfile, port: 3000, memory: 512m, cpus: 0.5 }
  web:
    env: { API_URL: "\${apps.api.internalUrl}" }
    depends_on: [api]
    docker: { image: nginx:1.27, port: 80 }
`,
  "preview.yaml",
  "store",
);

const args: PreviewEnvironmentArgs = {
  manifest,
  environment: {
    id: "store-main-1a2b",
    ref: "feature/x",
    commit: "c".repeat(40),
    baseDomain: "previews.example.com",
    flagsUrl: "http://previewd.previewd.svc/v1/environments/store-main-1a2b",
    flagsToken: "flags-token",
    owner: "previewd-a1",
  },
  images: { api: "reg/store-api:abc", payments: "reg/store-payments:abc" },
  settings: {
    ingressClass: "nginx",
    storageClass: "fast",
    serviceAccount: { namespace: "previewd", name: "previewd" },
  },
  servicePasswords: { db: "p@ss/word" },
};

function find(objects: PlannedObject[], key: string): PlannedObject {
  const found = objects.find((o) => o.key === key);
  if (!found) throw new Error(`no ${key} in ${objects.map((o) => o.key).join(", ")}`);
  return found;
}

type Container = {
  env: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  command?: string[];
  image: string;
  resources: unknown;
  startupProbe: { failureThreshold: number; httpGet: unknown };
};
const containerOf = (object: PlannedObject) =>
  (object.body.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
const envOf = (object: PlannedObject) =>
  Object.fromEntries(containerOf(object).env.map((e) => [e.name, e.value ?? e.valueFrom]));

describe("the objects of a preview environment on Kubernetes", () => {
  const plan = planPreviewEnvironment(args);
  const { objects } = plan;

  it("labels objects with the keys the kubernetes runtime selects by", () => {
    expect({ OWNER_LABEL, ENV_LABEL, APP_LABEL }).toEqual({
      OWNER_LABEL: runtimeLabels.OWNER_LABEL,
      ENV_LABEL: runtimeLabels.ENV_LABEL,
      APP_LABEL: runtimeLabels.APP_LABEL,
    });
    const pods = objects.filter(
      (o) => o.kind === "Deployment" || o.kind === "StatefulSet" || o.kind === "Job",
    );
    for (const workload of pods) {
      const labels = (workload.body.spec as { template: { metadata: { labels: Record<string, string> } } })
        .template.metadata.labels;
      expect(labels).toMatchObject({ [ENV_LABEL]: "store-main-1a2b", [OWNER_LABEL]: "previewd-a1" });
      expect(labels[APP_LABEL]).toBeTruthy();
    }
  });

  it("validates every object against the Kubernetes OpenAPI schemas, labelled with the environment and owner", () => {
    expect(objects.flatMap((o) => schemaErrors(manifestOf(o)))).toEqual([]);
    for (const object of objects) {
      expect(object.metadata.labels).toMatchObject({
        "previewd.dev/environment": "store-main-1a2b",
        "previewd.dev/owner": "previewd-a1",
      });
      if (object.kind !== "Namespace") expect(object.metadata.namespace).toBe("previewd-store-main-1a2b");
    }
  });

  it("gives apps the runtime's variables with in-cluster hosts, secrets by reference, $( kept literal", () => {
    const api = find(objects, "Deployment/api");
    const env = envOf(api);
    expect(env).toMatchObject({
      HOST: "0.0.0.0",
      PORT: "3000",
      SHARED: "yes",
      PGHOST: "db",
      REDIS_URL: "redis://cache:6379",
      PAYMENTS_URL: "http://payments:4010",
      LITERAL: "echo $$(whoami)",
      PREVIEW_ENV_ID: "store-main-1a2b",
      PREVIEW_REF: "feature/x",
      PREVIEW_URL_WEB: "http://web--store-main-1a2b.previews.example.com",
      PREVIEW_FLAGS_URL: args.environment.flagsUrl,
    });
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: "api-env", key: "DATABASE_URL" } });
    expect(env.PREVIEW_FLAGS_TOKEN).toEqual({
      secretKeyRef: { name: "api-env", key: "PREVIEW_FLAGS_TOKEN" },
    });
    expect(find(objects, "Secret/api-env").body.stringData).toEqual({
      DATABASE_URL: "postgres://postgres:p%40ss%2Fword@db:5432/store",
      PREVIEW_FLAGS_TOKEN: "flags-token",
    });
    expect(JSON.stringify(api)).not.toContain("p%40ss");
    expect(envOf(find(objects, "Deployment/web")).API_URL).toBe("http://api:3000");
    expect(containerOf(api).image).toBe("reg/store-api:abc");
    expect(containerOf(find(objects, "Deployment/web")).image).toBe("nginx:1.27");
  });

  it("probes health with the manifest's timeout and limits resources from the docker block", () => {
    const api = containerOf(find(objects, "Deployment/api"));
    expect(api.startupProbe).toMatchObject({
      httpGet: { path: "/healthz", port: "http" },
      failureThreshold: 45,
    });
    expect(api.resources).toEqual({
      limits: { cpu: "500m", memory: "512Mi" },
      requests: { cpu: "125m", memory: "128Mi" },
    });
  });

  it("runs the release as a Job after the app's dependencies, and the Deployment after the Job", () => {
    const job = objects.find((o) => o.kind === "Job")!;
    expect(containerOf(job).command).toEqual(["sh", "-c", "node migrate.js"]);
    expect(job.dependsOn).toEqual(
      expect.arrayContaining(["StatefulSet/db", "StatefulSet/cache", "Deployment/payments"]),
    );
    const api = find(objects, "Deployment/api");
    expect(api.dependsOn).toContain(job.key);
    expect(api.metadata.annotations).toEqual({ "previewd.dev/after-release": job.metadata.name });
    expect(find(objects, "Deployment/web").dependsOn).toContain("Deployment/api");
    const order = objects.map((o) => o.key);
    for (const object of objects)
      for (const d of object.dependsOn) expect(order.indexOf(d)).toBeLessThan(order.indexOf(object.key));
    expect(order[0]).toBe("Namespace/previewd-store-main-1a2b");
  });

  it("keeps Postgres on a claimed volume of the storage class, Redis and the command service behind Services", () => {
    const db = find(objects, "StatefulSet/db").body.spec as {
      volumeClaimTemplates: Array<{ spec: unknown }>;
    };
    expect(db.volumeClaimTemplates[0]!.spec).toMatchObject({
      storageClassName: "fast",
      resources: { requests: { storage: "1Gi" } },
    });
    expect(find(objects, "Secret/db-postgres").body.stringData).toEqual({ password: "p@ss/word" });
    expect(find(objects, "Service/cache").body.spec).toMatchObject({ ports: [{ port: 6379 }] });
    expect(envOf(find(objects, "Deployment/payments"))).toMatchObject({
      PORT: "4010",
      API: "http://api--store-main-1a2b.previews.example.com",
    });
  });

  it("fences the namespace: NetworkPolicy, quota, limits, previewd's RoleBinding; an Ingress per app host; Chromium", () => {
    expect(find(objects, "NetworkPolicy/isolate-preview").body.spec).toMatchObject({
      podSelector: {},
      policyTypes: ["Ingress"],
    });
    expect(find(objects, "ResourceQuota/preview").body.spec).toMatchObject({
      hard: { persistentvolumeclaims: "1", "requests.storage": "1Gi" },
    });
    expect(find(objects, "LimitRange/preview")).toBeDefined();
    expect(find(objects, "RoleBinding/previewd").body).toMatchObject({
      roleRef: { kind: "ClusterRole", name: "previewd-environment" },
    });
    const ingress = find(objects, "Ingress/preview").body.spec as {
      ingressClassName: string;
      rules: Array<{ host: string }>;
    };
    expect(ingress.ingressClassName).toBe("nginx");
    expect(ingress.rules.map((r) => r.host)).toEqual([
      "api--store-main-1a2b.previews.example.com",
      "web--store-main-1a2b.previews.example.com",
    ]);
    expect(find(objects, "Deployment/browser")).toBeDefined();
    expect(plan.outputs).toEqual({
      namespace: "previewd-store-main-1a2b",
      urls: {
        api: "http://api--store-main-1a2b.previews.example.com",
        web: "http://web--store-main-1a2b.previews.example.com",
      },
      appServices: { api: { service: "api", port: 3000 }, web: { service: "web", port: 80 } },
      browserService: { service: "browser", port: 9222 },
    });
  });

  it("refuses an app without a docker block, naming the field, and a missing image, before anything is made", () => {
    const noDocker = parseManifest("version: 1\napps:\n  api: { start: node s.js }\n", "preview.yaml", "x");
    expect(() => planPreviewEnvironment({ ...args, manifest: noDocker })).toThrow(ManifestError);
    expect(() => planPreviewEnvironment({ ...args, manifest: noDocker })).toThrow(
      /apps\.api\.docker: expected a docker block/,
    );
    const error = (() => {
      try {
        planPreviewEnvironment({ ...args, images: {} });
      } catch (e) {
        return e;
      }
    })() as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.errors?.map((e) => e.path)).toEqual(["images.api", "images.payments"]);
  });
});
