/**
 * A loopback port forwarded to a Kubernetes Service, like `kubectl port-forward svc/…`: each
 * connection picks a ready pod behind the Service (its selector) and the Service port's target
 * port, then opens the API server's portforward WebSocket to it (@kubernetes/client-node's
 * PortForward). Picking per connection follows the Service across rollouts and restarts.
 */
import net from "node:net";
import { Writable } from "node:stream";
import type { CoreV1Api, PortForward, V1Pod } from "@kubernetes/client-node";
import { errorMessage } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { Forward } from "./cluster-access.ts";

export interface ServiceForwardOptions {
  core: CoreV1Api;
  portForward: PortForward;
  namespace: string;
  service: string;
  port: number;
  /** The loopback port to listen on; a taken one falls back to any free port. */
  localPort?: number;
  logger: Logger;
}

export async function forwardService(options: ServiceForwardOptions): Promise<Forward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.pause();
    void connect(options, socket);
  });
  const port = await listen(server, options.localPort ?? 0).catch(() => listen(server, 0));
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function listen(server: net.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

async function connect(options: ServiceForwardOptions, socket: net.Socket): Promise<void> {
  const { namespace, service } = options;
  try {
    const target = await targetOf(options);
    const errors = new Writable({
      write(chunk: Buffer, _encoding, done) {
        options.logger.debug({ namespace, service, message: chunk.toString() }, "port-forward error");
        done();
      },
    });
    const ws = await options.portForward.portForward(
      namespace,
      target.pod,
      [target.port],
      socket,
      errors,
      socket,
    );
    const opened = typeof ws === "function" ? ws() : ws;
    opened?.on("close", () => socket.end());
    socket.on("error", () => opened?.close());
    socket.on("close", () => opened?.close());
    socket.resume();
  } catch (error) {
    options.logger.warn({ namespace, service, reason: errorMessage(error) }, "cannot forward to the service");
    socket.destroy();
  }
}

/** A ready pod behind the Service and the container port its `port` targets. */
async function targetOf(options: ServiceForwardOptions): Promise<{ pod: string; port: number }> {
  const { core, namespace, service } = options;
  const found = await core.readNamespacedService({ name: service, namespace });
  const servicePort = found.spec?.ports?.find((p) => p.port === options.port) ?? found.spec?.ports?.[0];
  if (!servicePort) throw new TypeError(`service ${namespace}/${service} has no port ${options.port}`);
  const pod = await podBehind(core, namespace, service, found.spec?.selector);
  return { pod: pod.metadata!.name!, port: containerPort(pod, servicePort.targetPort ?? servicePort.port) };
}

/** A running pod the Service selects, a ready one if there is one. */
export async function podBehind(
  core: CoreV1Api,
  namespace: string,
  service: string,
  selectorOf?: Record<string, string>,
): Promise<V1Pod> {
  const labels =
    selectorOf ?? (await core.readNamespacedService({ name: service, namespace })).spec?.selector ?? {};
  const selector = Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const pods = await core.listNamespacedPod({ namespace, labelSelector: selector });
  const running = pods.items.filter(
    (pod) => pod.status?.phase === "Running" && !pod.metadata?.deletionTimestamp,
  );
  const pod = running.find(ready) ?? running[0];
  if (!pod?.metadata?.name) throw new TypeError(`no running pod behind service ${namespace}/${service}`);
  return pod;
}

function ready(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** A named target port is looked up among the pod's container ports. */
function containerPort(pod: V1Pod, target: number | string): number {
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of pod.spec?.containers ?? []) {
    const port = container.ports?.find((p) => p.name === target);
    if (port) return port.containerPort;
  }
  throw new TypeError(`pod ${pod.metadata?.name} has no port named ${target}`);
}
