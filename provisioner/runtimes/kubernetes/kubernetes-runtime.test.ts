/**
 * The kubernetes runtime's lifecycle against stand-ins for what cannot run here: the Automation
 * API (test/helpers/pulumi-engine-double.ts runs the real preview program under setMocks) and the
 * Kubernetes API (test/helpers/kubernetes-api-double.ts, driven through @kubernetes/client-node,
 * mirrored from what the program registered). Images come from a stand-in publisher.
 */
import http from "node:http";
import { mkdtemp, rm, stat } from "node:fs/promises";
import type net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent } from "../../environments/environment-schema.ts";
import { ProvisionError } from "../../errors.ts";
import { silentLogger } from "../../logger.ts";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { parseManifest } from "../../manifest/load-manifest.ts";
import type { Deployment, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { KubernetesApiDouble } from "../../../test/helpers/kubernetes-api-double.ts";
import { PulumiEngineDouble } from "../../../test/helpers/pulumi-engine-double.ts";
import type { RegisteredResource } from "../../../infra/preview-environment/mocked-program.ts";
import { kubeCluster } from "./kube-cluster.ts";
import { APP_LABEL, ENV_LABEL, OWNER_LABEL, stackName } from "./kubernetes-labels.ts";
import {
  createKubernetesRuntime,
  type KubernetesParts,
  type KubernetesRuntime,
} from "./kubernetes-runtime.ts";
import type { ImagePublisher } from "./image-publisher.ts";
import { previewProgram } from "./preview-program.ts";

const owner = "owner1";
const manifest = parseManifest(
  `version: 1
name: shop
services:
  db: { type: postgres, database: shop }
apps:
  api:
    path: apps/api
    health: /healthz
    env: { DATABASE_URL: "\${services.db.url}" }
    depends_on: [db]
    docker: { dockerfile: apps/api/Dockerfile, context: ., port: 3000 }
  web:
    path: apps/web
    env: { API_URL: "\${apps.api.internalUrl}" }
    depends_on: [api]
    docker: { dockerfile: apps/web/Dockerfile, context: ., port: 3001 }
`,
  "preview.yaml",
  "shop",
);

let api: KubernetesApiDouble;
let engine: PulumiEngineDouble;
let dataDir: string;
const backends: http.Server[] = [];
/** The version of each app's code: the stand-in publisher names its image after it. */
const versions: Record<string, string> = { api: "v1", web: "v1", db: "v1" };
const published: string[] = [];
const logs = new MemoryLogStore();
const events: Omit<EnvironmentEvent, "ts">[] = [];

const publisher: ImagePublisher = {
  publish: (_env, app) => {
    published.push(app);
    return Promise.resolve({ ref: `localhost:5001/previews/shop-${app}:${versions[app]}`, built: true });
  },
};

function parts(): KubernetesParts {
  return {
    checkAvailable: () => Promise.resolve(),
    engine: () => Promise.resolve(engine),
    cluster: () => kubeCluster(api.kubeConfig(), { logger: silentLogger, logPollMs: 50 }),
    images: () => Promise.resolve(publisher),
    program: previewProgram,
  };
}

function runtime(): KubernetesRuntime {
  return createKubernetesRuntime({
    ownerId: owner,
    logger: silentLogger,
    settings: {
      registry: "localhost:5001/previews",
      backendUrl: "file:///unused",
      baseDomain: "preview.test",
    },
    parts: parts(),
    orphanGraceMs: 0,
  });
}

function environment(id: string): RuntimeEnvironment {
  return {
    id,
    name: "shop",
    ref: "main",
    commit: "c0ffee",
    rootDir: "/nonexistent",
    dataDir: path.join(dataDir, id),
    manifest,
    appUrls: { api: `http://api--${id}.localhost:7070`, web: `http://web--${id}.localhost:7070` },
    flagsUrl: `http://previewd.previewd.svc:7070/v1/environments/${id}/ofrep`,
  };
}

function context(): RuntimeContext {
  return {
    signal: new AbortController().signal,
    logs,
    event: (event) => events.push(event),
    phase: (_name, work) => work(),
    checkpoint: () => Promise.resolve(),
  };
}

/** A pod per Deployment or StatefulSet the program registered, answering with its app and image. */
async function mirror(resources: RegisteredResource[]): Promise<void> {
  for (const r of resources) {
    const inputs = r.inputs as {
      metadata: { name: string; namespace?: string; labels?: Record<string, string> };
      spec?: {
        selector?: Record<string, string>;
        ports?: { port: number; targetPort?: number | string }[];
        template?: {
          metadata: { labels: Record<string, string> };
          spec: {
            containers: { name: string; image: string; ports?: { name: string; containerPort: number }[] }[];
          };
        };
      };
    };
    const { metadata, spec } = inputs;
    if (r.type === "kubernetes:core/v1:Namespace") api.addNamespace(metadata.name, metadata.labels ?? {});
    if (r.type === "kubernetes:core/v1:Service" && spec?.selector && spec.ports?.[0]) {
      const port = spec.ports[0];
      api.addService(metadata.namespace!, metadata.name, {
        selector: spec.selector,
        port: port.port,
        targetPort: port.targetPort ?? port.port,
      });
    }
    if (
      (r.type === "kubernetes:apps/v1:Deployment" || r.type === "kubernetes:apps/v1:StatefulSet") &&
      spec?.template
    ) {
      const labels = spec.template.metadata.labels;
      const image = spec.template.spec.containers[0]!.image;
      const backend = http.createServer((_req, res) => res.end(`${labels[APP_LABEL]} ${image}`));
      await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
      backends.push(backend);
      api.addPod({
        namespace: metadata.namespace!,
        name: `${metadata.name}-0`,
        labels,
        containers: spec.template.spec.containers.map((c) => c.name),
        ...(spec.template.spec.containers[0]!.ports && { ports: spec.template.spec.containers[0]!.ports }),
        backendPort: (backend.address() as net.AddressInfo).port,
      });
    }
  }
}

async function until<T>(
  read: () => T | Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const text = async (url: string) => (await fetch(url)).text();
const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

let first: KubernetesRuntime;
const env = () => environment("shop-main-1a2b");
let deployment: Deployment;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "previewd-k8s-runtime-"));
  api = await new KubernetesApiDouble().start();
  engine = new PulumiEngineDouble();
  engine.onUp = (_stack, run) => mirror(run.resources);
  first = runtime();
  deployment = await first.provision(env(), context());
});

afterAll(async () => {
  await first?.close();
  for (const backend of backends) await new Promise((resolve) => backend.close(resolve));
  await api?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("the kubernetes runtime", () => {
  it("provisions a stack from the preview program: images pushed, a labelled namespace, apps reached at their directUrl through port-forwards", async () => {
    const stack = engine.stacks.get(stackName(owner, env().id))!;
    const namespace = stack.resources.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
    expect((namespace.inputs.metadata as { labels: Record<string, string> }).labels).toMatchObject({
      [OWNER_LABEL]: owner,
      [ENV_LABEL]: env().id,
    });
    expect(published.sort()).toEqual(["api", "web"]);
    expect(Object.keys(deployment.apps).sort()).toEqual(["api", "web"]);
    expect(deployment.runtime).toBe("kubernetes");
    const api1 = deployment.apps.api!;
    expect(api1.status).toBe("healthy");
    expect(api1.handle.url).toBe(`http://api--${env().id}.preview.test`);
    expect(await text(api1.directUrl)).toBe("api localhost:5001/previews/shop-api:v1");
    expect(await text(deployment.apps.web!.directUrl)).toBe("web localhost:5001/previews/shop-web:v1");

    const db = deployment.services.db!;
    const password = db.handle.password as string;
    expect(password.length).toBeGreaterThanOrEqual(20);
    expect(db.internalUrl).toBe(`postgres://postgres:${password}@db:5432/shop`);
    expect(db.url).toMatch(new RegExp(`^postgres://postgres:${password}@127\\.0\\.0\\.1:\\d+/shop$`));
    expect(first.browserPort(env().id)).toBeGreaterThan(0);
    expect(first.browserEndpoint(env().id)).toBe(`http://127.0.0.1:${first.browserPort(env().id)}`);

    // Progress: each image, then the stack's objects, named by app where they belong to one.
    expect(events).toContainEqual(
      expect.objectContaining({ step: "build", app: "api", status: "succeeded" }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        step: "start",
        app: "web",
        status: "succeeded",
        message: expect.stringContaining("Deployment"),
      }),
    );
    // The pulumi operation's mark is gone once it finished.
    expect(await exists(path.join(env().dataDir, "pulumi-operation.json"))).toBe(false);
  });

  it("follows the pods' logs into the log store, labelled by app", async () => {
    const pod = [...api.pods.values()].find((p) => p.labels[APP_LABEL] === "api")!;
    api.writeLog(pod.namespace, pod.name, pod.containers[0]!, "api listening on 3000");
    const lines = await until(
      () => logs.query(env().id, { apps: ["api"] }).map((e) => e.line),
      (l) => l.length > 0,
    );
    expect(lines).toEqual(["api listening on 3000"]);
  });

  it("runs a command in the app's pod (a scenario's command step), its output in the app's logs", async () => {
    const result = await first.exec(env(), deployment, "api", 'echo "seeded $COUNT cards"', {
      env: { COUNT: "3" },
    });
    expect(result).toEqual({ exitCode: 0, output: ["seeded 3 cards"] });
    expect(logs.query(env().id, { apps: ["api"] }).map((e) => e.line)).toContain("seeded 3 cards");
    await expect(first.exec(env(), deployment, "nope", "true", {})).rejects.toThrow(
      "no running pod for nope",
    );
  });

  it("restarts a service by deleting its pod: its controller's new pod serves behind the same forward", async () => {
    const before = [...api.pods.values()].find((p) => p.labels[APP_LABEL] === "db")!.name;
    const restarted = await first.restartService(env(), deployment, "db", context());
    const after = [...api.pods.values()].find((p) => p.labels[APP_LABEL] === "db")!.name;
    expect(after).not.toBe(before);
    expect(restarted.services.db!.url).toBe(deployment.services.db!.url);
    expect(events).toContainEqual(
      expect.objectContaining({ step: "services", app: "db", status: "succeeded" }),
    );
  });

  it("updates only what changed: api's new image rolls, web is kept, the loopback ports and the database password stay", async () => {
    versions.api = "v2";
    events.length = 0;
    const updated = await first.update(env(), deployment, context());
    expect(updated.apps.api!.directUrl).toBe(deployment.apps.api!.directUrl);
    expect(updated.apps.api!.inputHash).not.toBe(deployment.apps.api!.inputHash);
    expect(updated.apps.web!.inputHash).toBe(deployment.apps.web!.inputHash);
    expect(updated.services.db!.handle.password).toBe(deployment.services.db!.handle.password);
    expect(events).toContainEqual(expect.objectContaining({ step: "start", app: "web", status: "skipped" }));
    const stack = engine.stacks.get(stackName(owner, env().id))!;
    const apiDeployment = stack.resources.find(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && r.name.endsWith("-api"),
    )!;
    expect(JSON.stringify(apiDeployment.inputs)).toContain("shop-api:v2");
    deployment = updated;
  });

  it("after a crash mid-update, a restarted previewd cancels the stale lock, refreshes away the pending creates and adopts the stack", async () => {
    versions.web = "v2";
    engine.nextUp = "hang";
    const cut = first.update(env(), deployment, context());
    cut.catch(() => undefined);
    const mark = path.join(env().dataDir, "pulumi-operation.json");
    expect(await until(() => exists(mark), Boolean)).toBe(true);
    const name = stackName(owner, env().id);
    const stack = engine.stacks.get(name)!;
    expect(stack.locked).toBe(true);
    // The process dies: its forwards and log follows with it; the stack stays locked, the mark stays.
    await first.close();
    expect(await exists(mark)).toBe(true);

    const restarted = runtime();
    first = restarted;
    engine.calls.length = 0;
    const adopted = await restarted.adopt(env(), deployment, context());
    expect(adopted).toBeDefined();
    expect(engine.calls).toEqual([
      `select ${name}`,
      `cancel ${name}`,
      `refresh ${name} --clear-pending-creates`,
    ]);
    expect(stack).toMatchObject({ locked: false, pendingCreates: 0 });
    expect(await exists(mark)).toBe(false);
    expect(adopted!.apps.api!.directUrl).toBe(deployment.apps.api!.directUrl);
    expect(await text(adopted!.apps.api!.directUrl)).toBe("api localhost:5001/previews/shop-api:v2");
    engine.release?.();
    deployment = adopted!;
  });

  it("reconciles by stacks in the backend and namespaces by label: orphans of this previewd go, another previewd's stay", async () => {
    engine.stacks.set(stackName(owner, "orphan-stack"), {
      resources: [],
      locked: false,
      pendingCreates: 0,
      destroyed: false,
    });
    engine.stacks.set(stackName("other", "theirs"), {
      resources: [],
      locked: false,
      pendingCreates: 0,
      destroyed: false,
    });
    api.addNamespace(
      "orphan-ns",
      { [OWNER_LABEL]: owner, [ENV_LABEL]: "orphan-ns" },
      new Date(Date.now() - 60_000),
    );
    api.addNamespace(
      "their-ns",
      { [OWNER_LABEL]: "other", [ENV_LABEL]: "theirs" },
      new Date(Date.now() - 60_000),
    );

    const removed = await first.reconcile(new Set([env().id]));

    expect(removed.sort()).toEqual(["orphan-ns", "orphan-stack"]);
    expect([...engine.stacks.keys()].sort()).toEqual(
      [stackName(owner, env().id), stackName("other", "theirs")].sort(),
    );
    expect(api.namespaces.has("orphan-ns")).toBe(false);
    expect(api.namespaces.has("their-ns")).toBe(true);
  });

  it("destroys the stack and its namespace, stops its forwards, and can do it again", async () => {
    const name = stackName(owner, env().id);
    const namespace = deployment.apps.api!.handle.namespace as string;
    await first.destroy(env().id, env().dataDir);
    expect(engine.calls).toContain(`destroy ${name}`);
    expect(engine.stacks.has(name)).toBe(false);
    expect(api.namespaces.has(namespace)).toBe(false);
    await expect(fetch(deployment.apps.api!.directUrl)).rejects.toThrow();
    expect(first.browserEndpoint(env().id)).toBeUndefined();
    await expect(first.destroy(env().id, env().dataDir)).resolves.toBeUndefined();
  });

  it("a failed up is a ProvisionError naming the failing object, and leaves no stack, namespace or forward", async () => {
    const failing = environment("shop-broken-9z");
    engine.nextUp = "fail";
    const error = await first.provision(failing, context()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error).toMatchObject({ step: "start" });
    expect((error as Error).message).toContain("ImagePullBackOff");
    expect(engine.stacks.has(stackName(owner, failing.id))).toBe(false);
    expect([...api.namespaces.values()].some((n) => n.labels[ENV_LABEL] === failing.id)).toBe(false);
    expect(first.browserPort(failing.id)).toBeUndefined();
    expect(first.browserEndpoint(failing.id)).toBeUndefined();
  });
});
