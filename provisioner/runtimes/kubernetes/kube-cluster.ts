/** ClusterAccess on @kubernetes/client-node, for the cluster of a loaded KubeConfig. */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "../../logger.ts";
import type { ClusterAccess } from "./cluster-access.ts";
import { ENV_LABEL } from "./kubernetes-labels.ts";
import { followPodLogs } from "./pod-logs.ts";
import { execInService } from "./pod-exec.ts";
import { restartPods } from "./pod-restart.ts";
import { forwardService } from "./service-forward.ts";

export interface KubeClusterOptions {
  logger: Logger;
  /** How often pods are listed for new containers to follow (default 2 s). */
  logPollMs?: number;
}

export async function kubeCluster(config: KubeConfig, options: KubeClusterOptions): Promise<ClusterAccess> {
  const k8s = await import("@kubernetes/client-node");
  const core = config.makeApiClient(k8s.CoreV1Api);
  const log = new k8s.Log(config);
  const portForward = new k8s.PortForward(config);
  const exec = new k8s.Exec(config);
  const { logger } = options;
  return {
    followLogs: (envId, namespace, logs) =>
      followPodLogs({
        core,
        log,
        envId,
        namespace,
        logs,
        logger,
        ...(options.logPollMs && { pollMs: options.logPollMs }),
      }),
    forward: (namespace, service, port, localPort) =>
      forwardService({
        core,
        portForward,
        namespace,
        service,
        port,
        logger,
        ...(localPort !== undefined && { localPort }),
      }),
    exec: (namespace, service, command, options) =>
      execInService({
        core,
        exec,
        namespace,
        service,
        command,
        onLine: options.onLine,
        ...(options.env && { env: options.env }),
        ...(options.signal && { signal: options.signal }),
        ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
      }),
    restartPods: (namespace, name, timeoutMs) =>
      restartPods({ core, namespace, name, ...(timeoutMs !== undefined && { timeoutMs }) }),
    async namespaces(selector) {
      const list = await core.listNamespace({ labelSelector: selector });
      return list.items.flatMap((ns) => {
        const envId = ns.metadata?.labels?.[ENV_LABEL];
        if (!ns.metadata?.name || !envId) return [];
        return [{ name: ns.metadata.name, envId, created: ns.metadata.creationTimestamp?.getTime() ?? 0 }];
      });
    },
    async deleteNamespace(name) {
      try {
        await core.deleteNamespace({ name });
      } catch (error) {
        if ((error as { code?: number }).code !== 404) throw error;
      }
    },
  };
}
