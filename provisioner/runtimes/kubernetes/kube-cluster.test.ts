import http from "node:http";
import type net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { silentLogger } from "../../logger.ts";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { KubernetesApiDouble } from "../../../test/helpers/kubernetes-api-double.ts";
import type { ClusterAccess } from "./cluster-access.ts";
import { kubeCluster } from "./kube-cluster.ts";
import { APP_LABEL, ENV_LABEL, OWNER_LABEL, namespaceSelector } from "./kubernetes-labels.ts";

let api: KubernetesApiDouble;
let cluster: ClusterAccess;
const closers: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  api = await new KubernetesApiDouble().start();
  cluster = await kubeCluster(api.kubeConfig(), { logger: silentLogger, logPollMs: 50 });
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await api.close();
});

async function until<T>(read: () => T, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the cluster, through @kubernetes/client-node", () => {
  it("follows every container's log into the store, labelled by app, and resumes a follow the API server ended without repeating lines", async () => {
    api.addPod({
      namespace: "ns1",
      name: "api-1",
      labels: { [APP_LABEL]: "api" },
      containers: ["main", "sidecar"],
    });
    api.writeLog("ns1", "api-1", "main", "listening on 3000");
    const logs = new MemoryLogStore();
    const follower = cluster.followLogs("env1", "ns1", logs);
    closers.push(() => follower.stop());

    const lines = () => logs.query("env1").map((e) => `${e.app}:${e.line}`);
    expect(await until(lines, (l) => l.length >= 1)).toEqual(["api:listening on 3000"]);
    api.writeLog("ns1", "api-1", "sidecar", "sidecar up");
    api.writeLog("ns1", "api-1", "main", "GET /healthz 200");
    await until(lines, (l) => l.length >= 3);

    api.endLogFollows();
    await new Promise((resolve) => setTimeout(resolve, 200));
    api.writeLog("ns1", "api-1", "main", "after the API server closed the follow");
    const after = await until(lines, (l) => l.length >= 4);
    expect([...after].sort()).toEqual(
      [
        "api:listening on 3000",
        "api:sidecar up",
        "api:GET /healthz 200",
        "api:after the API server closed the follow",
      ].sort(),
    );
    expect(logs.query("env1").every((e) => e.stream === "stdout")).toBe(true);
  });

  it("forwards a loopback port to a Service's pod: HTTP and WebSocket both pass, and closing frees the port", async () => {
    const backend = http.createServer((req, res) => res.end(`pod answered ${req.url}`));
    const wss = new WebSocketServer({ server: backend });
    wss.on("connection", (ws) => ws.on("message", (data: Buffer) => ws.send(`echo ${data.toString()}`)));
    await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise((resolve) => backend.close(resolve)));
    closers.push(async () => wss.clients.forEach((c) => c.terminate()));
    api.addService("ns1", "web", { selector: { [APP_LABEL]: "web" }, port: 80, targetPort: 3000 });
    api.addPod({
      namespace: "ns1",
      name: "web-1",
      labels: { [APP_LABEL]: "web" },
      containers: ["web"],
      backendPort: (backend.address() as net.AddressInfo).port,
    });

    const forward = await cluster.forward("ns1", "web", 80);
    const first = await fetch(`http://127.0.0.1:${forward.port}/hello`);
    expect(await first.text()).toBe("pod answered /hello");
    const second = await fetch(`http://127.0.0.1:${forward.port}/again`);
    expect(await second.text()).toBe("pod answered /again");

    const ws = new WebSocket(`ws://127.0.0.1:${forward.port}/`);
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.on("open", () => ws.send("ping"));
      ws.on("message", (data: Buffer) => resolve(data.toString()));
      ws.on("error", reject);
    });
    expect(echoed).toBe("echo ping");
    ws.close();
    expect(api.requests).toContain("UPGRADE /api/v1/namespaces/ns1/pods/web-1/portforward");

    await forward.close();
    await expect(fetch(`http://127.0.0.1:${forward.port}/`)).rejects.toThrow();
    // Asked for a port that is taken, it takes another rather than failing.
    const again = await cluster.forward("ns1", "web", 80, (backend.address() as net.AddressInfo).port);
    closers.push(() => again.close());
    expect(again.port).not.toBe((backend.address() as net.AddressInfo).port);
    expect(await (await fetch(`http://127.0.0.1:${again.port}/x`)).text()).toBe("pod answered /x");
  });

  it("runs a command in a pod behind a Service: output line by line, the exit code, extra variables, a timeout", async () => {
    api.addService("ns1", "api", { selector: { [APP_LABEL]: "api" }, port: 3000, targetPort: 3000 });
    api.addPod({ namespace: "ns1", name: "api-1", labels: { [APP_LABEL]: "api" }, containers: ["api"] });
    const seen: string[] = [];
    const ok = await cluster.exec("ns1", "api", 'echo "seeding $WHO"; echo oops >&2', {
      env: { WHO: "ada" },
      onLine: (line) => seen.push(line),
    });
    expect(ok.exitCode).toBe(0);
    expect(ok.output.sort()).toEqual(["oops", "seeding ada"]);
    expect(seen.sort()).toEqual(["oops", "seeding ada"]);
    expect(api.requests).toContain("UPGRADE /api/v1/namespaces/ns1/pods/api-1/exec");

    const failed = await cluster.exec("ns1", "api", "echo no; exit 3", { onLine: () => undefined });
    expect(failed).toEqual({ exitCode: 3, output: ["no"] });

    const slow = await cluster.exec("ns1", "api", "sleep 5", { timeoutMs: 200, onLine: () => undefined });
    expect(slow.exitCode).toBe(-1);
  });

  it("lists one previewd's namespaces by label and deletes them, a missing one included", async () => {
    api.addNamespace("preview-a", { [OWNER_LABEL]: "me", [ENV_LABEL]: "a" });
    api.addNamespace("preview-b", { [OWNER_LABEL]: "me", [ENV_LABEL]: "b" });
    api.addNamespace("someone-else", { [OWNER_LABEL]: "other", [ENV_LABEL]: "a" });
    api.addNamespace("kube-system", {});

    const mine = await cluster.namespaces(namespaceSelector("me"));
    expect(mine.map((n) => [n.name, n.envId]).sort()).toEqual([
      ["preview-a", "a"],
      ["preview-b", "b"],
    ]);
    expect((await cluster.namespaces(namespaceSelector("me", "b"))).map((n) => n.name)).toEqual([
      "preview-b",
    ]);

    await cluster.deleteNamespace("preview-a");
    await cluster.deleteNamespace("preview-a");
    expect([...api.namespaces.keys()].sort()).toEqual(["kube-system", "preview-b", "someone-else"]);
  });
});
