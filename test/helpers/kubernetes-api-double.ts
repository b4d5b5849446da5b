/**
 * A small local double of the Kubernetes API subset the kubernetes runtime uses (no cluster can
 * exist here): namespaces listed by label and deleted, pods listed, Services read, pod logs
 * (follow, timestamps, sinceTime), pods deleted (and made again, as their controller would), the portforward WebSocket (channel protocol v4: the
 * port-number frames, then data on channel 0), which it connects to a local TCP port standing
 * for the pod's, and the exec WebSocket, which runs the command on this machine standing for the
 * pod's container (stdout on channel 1, stderr on 2, the closing status on 3). Tests drive it through @kubernetes/client-node itself (`kubeConfig()`).
 */
import { spawn } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { WebSocketServer, type WebSocket } from "ws";

export interface DoublePod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  containers: string[];
  /** The first container's named ports (a Service's named targetPort resolves through them). */
  ports?: { name: string; containerPort: number }[];
  /** The local port a portforward to this pod reaches, whatever port is asked for. */
  backendPort?: number;
}

interface ServiceSpec {
  selector: Record<string, string>;
  port: number;
  targetPort: number | string;
}

interface LogLine {
  ts: string;
  line: string;
}

export class KubernetesApiDouble {
  readonly namespaces = new Map<string, { labels: Record<string, string>; created: string }>();
  readonly pods = new Map<string, DoublePod>();
  readonly services = new Map<string, ServiceSpec>();
  /** Every request's method and path, in order. */
  readonly requests: string[] = [];
  readonly #lines = new Map<string, LogLine[]>();
  readonly #followers = new Map<string, Set<http.ServerResponse>>();
  readonly #server = http.createServer((req, res) => this.#handle(req, res));
  readonly #wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has("v4.channel.k8s.io") ? "v4.channel.k8s.io" : false),
  });
  readonly #sockets = new Set<net.Socket>();
  #generation = 0;
  url = "";

  async start(): Promise<this> {
    this.#server.on("upgrade", (req, socket, head) => this.#upgrade(req, socket as net.Socket, head));
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as net.AddressInfo).port}`;
    return this;
  }

  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: "double", server: this.url, skipTLSVerify: true }],
      users: [{ name: "double" }],
      contexts: [{ name: "double", cluster: "double", user: "double" }],
      currentContext: "double",
    });
    return config;
  }

  addNamespace(name: string, labels: Record<string, string>, created = new Date()): void {
    this.namespaces.set(name, { labels, created: created.toISOString() });
  }

  addPod(pod: DoublePod): void {
    this.pods.set(`${pod.namespace}/${pod.name}`, pod);
  }

  addService(namespace: string, name: string, spec: ServiceSpec): void {
    this.services.set(`${namespace}/${name}`, spec);
  }

  /** A line the container writes now: stored, and sent to whoever follows its log. */
  writeLog(namespace: string, pod: string, container: string, line: string): void {
    const key = `${namespace}/${pod}/${container}`;
    const entry = { ts: new Date().toISOString(), line };
    this.#lines.set(key, [...(this.#lines.get(key) ?? []), entry]);
    for (const res of this.#followers.get(key) ?? []) res.write(`${entry.ts} ${line}\n`);
  }

  /** Ends every log follow (as an API server does now and then); clients must follow again. */
  endLogFollows(): void {
    for (const set of this.#followers.values()) for (const res of set) res.end();
    this.#followers.clear();
  }

  async close(): Promise<void> {
    this.endLogFollows();
    for (const client of this.#wss.clients) client.terminate();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push(`${req.method} ${url.pathname}`);
    const parts = url.pathname.split("/").filter(Boolean);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const notFound = () =>
      json(404, { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 });
    // /api/v1/namespaces[/:ns[/pods[/:pod/log] | /services/:name]]
    if (parts[0] !== "api" || parts[1] !== "v1" || parts[2] !== "namespaces") return notFound();
    const [ns, kind, name, sub] = parts.slice(3);
    if (!ns && req.method === "GET") {
      const selector = parseSelector(url.searchParams.get("labelSelector"));
      const items = [...this.namespaces]
        .filter(([, n]) => matches(n.labels, selector))
        .map(([nsName, n]) => ({
          metadata: { name: nsName, labels: n.labels, creationTimestamp: n.created },
        }));
      return json(200, { apiVersion: "v1", kind: "NamespaceList", metadata: {}, items });
    }
    if (ns && !kind && req.method === "DELETE") {
      if (!this.namespaces.delete(ns)) return notFound();
      for (const key of [...this.pods.keys()]) if (key.startsWith(`${ns}/`)) this.pods.delete(key);
      for (const key of [...this.services.keys()]) if (key.startsWith(`${ns}/`)) this.services.delete(key);
      return json(200, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: ns },
        status: { phase: "Terminating" },
      });
    }
    if (kind === "pods" && !name && req.method === "GET") {
      const selector = parseSelector(url.searchParams.get("labelSelector"));
      const items = [...this.pods.values()]
        .filter((pod) => pod.namespace === ns && matches(pod.labels, selector))
        .map(podObject);
      return json(200, { apiVersion: "v1", kind: "PodList", metadata: {}, items });
    }
    if (kind === "pods" && name && !sub && req.method === "DELETE") {
      const pod = this.pods.get(`${ns}/${name}`);
      if (!pod) return notFound();
      this.pods.delete(`${ns}/${name}`);
      // As its Deployment or StatefulSet would: a new pod from the same template.
      this.#generation++;
      const base = pod.name.replace(/-r\d+$/, "");
      this.addPod({ ...pod, name: `${base}-r${this.#generation}` });
      return json(200, podObject(pod));
    }
    if (kind === "services" && name && req.method === "GET") {
      const service = this.services.get(`${ns}/${name}`);
      if (!service) return notFound();
      return json(200, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: ns },
        spec: { selector: service.selector, ports: [{ port: service.port, targetPort: service.targetPort }] },
      });
    }
    if (kind === "pods" && name && sub === "log" && req.method === "GET") {
      const container = url.searchParams.get("container") ?? "";
      const key = `${ns}/${name}/${container}`;
      if (!this.pods.has(`${ns}/${name}`)) return notFound();
      const since = url.searchParams.get("sinceTime");
      const stamps = url.searchParams.get("timestamps") === "true";
      res.writeHead(200, { "content-type": "text/plain" });
      for (const entry of this.#lines.get(key) ?? []) {
        if (since && entry.ts < since) continue;
        res.write(stamps ? `${entry.ts} ${entry.line}\n` : `${entry.line}\n`);
      }
      if (url.searchParams.get("follow") !== "true") return void res.end();
      const set = this.#followers.get(key) ?? new Set();
      set.add(res);
      this.#followers.set(key, set);
      res.on("close", () => set.delete(res));
      return;
    }
    notFound();
  }

  #upgrade(req: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
    const url = new URL(req.url ?? "/", this.url);
    this.requests.push(`UPGRADE ${url.pathname}`);
    const exec = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/.exec(url.pathname);
    if (exec && this.pods.has(`${exec[1]}/${exec[2]}`)) {
      const command = url.searchParams.getAll("command");
      return void this.#wss.handleUpgrade(req, socket, head, (ws) => runExec(ws, command));
    }
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/.exec(url.pathname);
    const pod = match && this.pods.get(`${match[1]}/${match[2]}`);
    if (!pod?.backendPort) return void socket.destroy();
    const port = Number(url.searchParams.get("ports"));
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#relay(ws, port, pod.backendPort!));
  }

  /** v4 channel protocol: each channel's first frame carries the port (uint16, little endian). */
  #relay(ws: WebSocket, port: number, backendPort: number): void {
    const portFrame = (channel: number) => Buffer.from([channel, port & 0xff, port >> 8]);
    ws.send(portFrame(0));
    ws.send(portFrame(1));
    const backend = net.connect(backendPort, "127.0.0.1");
    backend.on("data", (data) => ws.send(Buffer.concat([Buffer.from([0]), data])));
    backend.on("end", () => ws.close());
    backend.on("error", () => ws.close());
    ws.on("message", (data: Buffer) => {
      if (data[0] === 0 && data.length > 1) backend.write(data.subarray(1));
    });
    ws.on("close", () => backend.end());
  }
}

/** The command, run here, its output and exit status sent as an API server sends a container's. */
function runExec(ws: WebSocket, command: string[]): void {
  const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (data: Buffer) => ws.send(Buffer.concat([Buffer.from([1]), data])));
  child.stderr.on("data", (data: Buffer) => ws.send(Buffer.concat([Buffer.from([2]), data])));
  child.on("close", (code) => {
    const status =
      code === 0
        ? { metadata: {}, status: "Success" }
        : {
            metadata: {},
            status: "Failure",
            reason: "NonZeroExitCode",
            details: { causes: [{ reason: "ExitCode", message: String(code ?? 1) }] },
          };
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
    ws.close();
  });
  ws.on("close", () => child.kill());
}

function parseSelector(value: string | null): [string, string][] {
  return (value ?? "")
    .split(",")
    .filter(Boolean)
    .map((pair) => pair.split("=") as [string, string]);
}

function matches(labels: Record<string, string>, selector: [string, string][]): boolean {
  return selector.every(([k, v]) => labels[k] === v);
}

function podObject(pod: DoublePod): unknown {
  return {
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    spec: {
      containers: pod.containers.map((name, index) => ({
        name,
        image: "double",
        ...(index === 0 && pod.ports && { ports: pod.ports }),
      })),
    },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: pod.containers.map((name) => ({
        name,
        image: "double",
        imageID: "",
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: new Date().toISOString() } },
      })),
    },
  };
}
