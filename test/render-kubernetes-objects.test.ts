/**
 * `previewd render --runtime kubernetes` on the examples: every object the kubernetes runtime would
 * create, printed as YAML from its own Pulumi program under mocks, valid against the Kubernetes
 * OpenAPI schemas and covering what SPEC "Runtimes" and issue 15 ask for.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { schemaErrors } from "../infra/kubernetes-schema.test-helper.ts";
import { renderKubernetesYaml } from "../provisioner/cli/render-command.ts";
import { assertBuildIsFresh } from "./helpers/compiled-cli.ts";
import { createExampleRepo } from "./helpers/example-repo.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { cli } from "./helpers/serve-process.ts";

const run = promisify(execFile);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects read field by field
type K8sObject = Record<string, any>;

function objectsOf(yamlText: string): K8sObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJS() as K8sObject)
    .filter(Boolean);
}
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const podOf = (o: K8sObject) => o.spec.template.spec;
const envOf = (o: K8sObject) =>
  Object.fromEntries(podOf(o).containers[0].env.map((e: K8sObject) => [e.name, e.value ?? e.valueFrom]));

// The CLI's defaults, whatever the machine running the tests has set.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("PREVIEWD_")),
);

describe("previewd render --runtime kubernetes", () => {
  let shop: GitFixture;
  let turbo: GitFixture;

  beforeAll(async () => {
    assertBuildIsFresh();
    [shop, turbo] = await Promise.all([createExampleRepo("shop"), createExampleRepo("turbo-store")]);
  });
  afterAll(async () => {
    await Promise.all([shop?.remove(), turbo?.remove()]);
  });

  it("prints examples/shop through the compiled CLI: schema-valid objects for every part of the environment", async () => {
    const { stdout } = await run(process.execPath, [cli, "render", shop.dir, "--runtime", "kubernetes"], {
      env: cleanEnv,
      maxBuffer: 16 * 1024 * 1024,
    });
    const objects = objectsOf(stdout);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    // The same program in-process gives the same bytes: render is deterministic.
    expect(await renderKubernetesYaml(shop.dir, {}, {})).toBe(stdout);

    const namespace = find(objects, "Namespace", objects[0]!.metadata.name)!;
    const id = namespace.metadata.labels["previewd.dev/environment"];
    expect(id).toMatch(/^shop-/);
    expect(namespace.metadata.name).toBe(`previewd-${id}`);
    expect(stdout.split("\n")[0]).toContain(`environment ${id}`);
    for (const object of objects) {
      expect(object.metadata.labels["previewd.dev/environment"]).toBe(id);
      if (object.kind !== "Namespace") expect(object.metadata.namespace).toBe(namespace.metadata.name);
    }
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      `Namespace/previewd-${id}`,
      "NetworkPolicy/isolate-preview",
      "ResourceQuota/preview",
      "LimitRange/preview",
      "Secret/api-env",
      "Secret/db-postgres",
      "Service/admin",
      "Service/api",
      "Service/browser",
      "Service/db",
      "Service/web",
      "StatefulSet/db",
      "Deployment/admin",
      "Deployment/api",
      "Deployment/browser",
      "Deployment/web",
      "Ingress/preview",
    ]);

    for (const app of ["api", "web", "admin"]) {
      const deployment = find(objects, "Deployment", app)!;
      const container = podOf(deployment).containers[0];
      expect(container.image).toBe(`registry.example.com/previews/shop-${app}:${shop.head.slice(0, 12)}`);
      expect(container.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
      expect(container.resources.limits).toEqual({ cpu: "1000m", memory: "1Gi" });
      expect(envOf(deployment)).toMatchObject({
        HOST: "0.0.0.0",
        PREVIEW_ENV_ID: id,
        PREVIEW_COMMIT: shop.head,
        PREVIEW_FLAGS_URL: `http://previewd.previewd.svc/v1/environments/${id}`,
        PREVIEW_URL_WEB: `http://web--${id}.localhost`,
      });
      expect(deployment.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    }
    expect(envOf(find(objects, "Deployment", "api")!).DATABASE_URL).toEqual({
      secretKeyRef: { name: "api-env", key: "DATABASE_URL" },
    });
    expect(find(objects, "Secret", "api-env")!.stringData.DATABASE_URL).toMatch(
      /^postgres:\/\/postgres:[^@]+@db:5432\/shop$/,
    );
    expect(envOf(find(objects, "Deployment", "web")!)).toMatchObject({
      API_URL: "http://api:3000",
      ADMIN_URL: `http://admin--${id}.localhost`,
    });
    const db = find(objects, "StatefulSet", "db")!;
    expect(db.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("1Gi");
    expect(podOf(db).containers[0].image).toBe("postgres:16");
    expect(find(objects, "Ingress", "preview")!.spec.rules.map((r: K8sObject) => r.host)).toEqual(
      ["api", "web", "admin"].map((app) => `${app}--${id}.localhost`),
    );
    expect(find(objects, "NetworkPolicy", "isolate-preview")!.spec.ingress).toHaveLength(2);
    expect(find(objects, "ResourceQuota", "preview")!.spec.hard).toMatchObject({
      persistentvolumeclaims: "1",
    });
    expect(podOf(find(objects, "Deployment", "browser")!).containers[0].args[0]).toContain(
      `MAP web--${id}.localhost web.previewd-${id}.svc`,
    );
  });

  it("renders the pnpm example at a ref: the release Job before the api, Redis, the payments twin, the registry and class flags", async () => {
    await turbo.commit({ "README.md": "a branch\n" }, "branch", "feature/pay");
    const yamlText = await renderKubernetesYaml(
      turbo.dir,
      {
        ref: "feature/pay",
        registry: "localhost:5001/previews/",
        ingressClass: "traefik",
        baseDomain: "previews.test",
      },
      {},
    );
    const objects = objectsOf(yamlText);
    expect(objects.flatMap(schemaErrors)).toEqual([]);
    const id = objects[0]!.metadata.labels["previewd.dev/environment"];
    expect(id).toMatch(/^turbo-store-feature-pay-/);
    expect(objects[0]!.metadata.annotations["previewd.dev/ref"]).toBe("feature/pay");

    const job = objects.find((o) => o.kind === "Job")!;
    expect(podOf(job).containers[0].command).toEqual(["sh", "-c", "node dist/migrate.js"]);
    expect(podOf(job).restartPolicy).toBe("Never");
    expect(job.spec.backoffLimit).toBe(0);
    const api = find(objects, "Deployment", "api")!;
    expect(api.metadata.annotations["previewd.dev/after-release"]).toBe(job.metadata.name);
    expect(podOf(api).containers[0].startupProbe.failureThreshold).toBe(45);
    expect(podOf(api).containers[0].image).toMatch(
      /^localhost:5001\/previews\/turbo-store-api:[0-9a-f]{12}$/,
    );
    expect(envOf(api)).toMatchObject({
      PGHOST: "db",
      PGPORT: "5432",
      PGUSER: "postgres",
      PGDATABASE: "store",
      PGPASSWORD: { secretKeyRef: { name: "api-env", key: "PGPASSWORD" } },
      REDIS_URL: "redis://cache:6379",
      PAYMENTS_URL: "http://payments:4010",
      TURBO_TELEMETRY_DISABLED: "1",
    });
    expect(find(objects, "StatefulSet", "cache")).toBeDefined();
    const payments = find(objects, "Deployment", "payments")!;
    expect(podOf(payments).containers[0].readinessProbe.httpGet.path).toBe("/healthz");
    expect(envOf(payments)).toMatchObject({ PORT: "4010", HOST: "0.0.0.0" });
    const ingress = find(objects, "Ingress", "preview")!;
    expect(ingress.spec.ingressClassName).toBe("traefik");
    expect(ingress.spec.rules.map((r: K8sObject) => r.host)).toEqual([
      `api--${id}.previews.test`,
      `web--${id}.previews.test`,
    ]);
  });

  it("says what is wrong: another runtime, an app the kubernetes runtime cannot run", async () => {
    const wrong = await run(process.execPath, [cli, "render", shop.dir, "--runtime", "docker"], {
      env: cleanEnv,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(wrong).toMatchObject({ code: 1 });
    expect((wrong as { stderr: string }).stderr).toContain(
      'error: --runtime: expected "kubernetes" (got "docker")',
    );

    await shop.commit(
      { "preview.yaml": "version: 1\nname: shop\napps:\n  api: { start: node server.js }\n" },
      "no docker block",
      "bare",
    );
    await expect(renderKubernetesYaml(shop.dir, { ref: "bare" }, {})).rejects.toThrow(
      /preview\.yaml: apps\.api\.docker: expected a docker block with port and dockerfile or image/,
    );
  });
});
