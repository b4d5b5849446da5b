/**
 * What the kubernetes runtime does on the cluster itself, beside Pulumi: follow pod logs into the
 * log store, forward a loopback port to a Service (the bridge, each app's `directUrl`, services
 * previewd seeds), run a command in an app's pod, and find or remove namespaces by label. kube-cluster.ts implements it with
 * @kubernetes/client-node.
 */
import type { LogStore } from "../../logs/log-store.ts";
import type { ExecOptions, ExecResult } from "../runtime.ts";

export interface Forward {
  /** The loopback port: `http://127.0.0.1:<port>` reaches the Service. */
  port: number;
  close(): Promise<void>;
}

export interface LogFollower {
  stop(): Promise<void>;
}

export interface LabelledNamespace {
  name: string;
  envId: string;
  /** When the namespace was created (ms since the epoch). */
  created: number;
}

export interface ClusterAccess {
  /** Follows every container of the namespace's pods (new ones too), labelled by app, into `logs`. */
  followLogs(envId: string, namespace: string, logs: LogStore): LogFollower;
  /** Listens on loopback (`localPort`, or any free port if 0 or taken) and forwards to the Service's pods. */
  forward(namespace: string, service: string, port: number, localPort?: number): Promise<Forward>;
  /** Runs `sh -c command` in a pod behind the Service, with its container's environment plus `options.env`. */
  exec(
    namespace: string,
    service: string,
    command: string,
    options: ExecOptions & { onLine(line: string): void },
  ): Promise<ExecResult>;
  /** Deletes the pods of an app or service; resolves once its controller's new pod is ready. */
  restartPods(namespace: string, name: string, timeoutMs?: number): Promise<void>;
  /** Namespaces carrying `selector`'s labels. */
  namespaces(selector: string): Promise<LabelledNamespace[]>;
  /** Deletes a namespace and everything in it; a missing one is fine. */
  deleteNamespace(name: string): Promise<void>;
}
