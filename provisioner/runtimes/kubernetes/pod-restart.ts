/**
 * Starts a workload's pods again, clean: its pods are deleted and its controller (Deployment,
 * StatefulSet) makes new ones from the same spec, on the same Service. Resolves once a pod that
 * was not there before runs and is ready.
 */
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";
import { APP_LABEL } from "./kubernetes-labels.ts";

export interface PodRestartOptions {
  core: CoreV1Api;
  namespace: string;
  /** The app or service (APP_LABEL) whose pods restart. */
  name: string;
  timeoutMs?: number;
  pollMs?: number;
}

export async function restartPods(options: PodRestartOptions): Promise<void> {
  const { core, namespace, name } = options;
  const labelSelector = `${APP_LABEL}=${name}`;
  const before = (await core.listNamespacedPod({ namespace, labelSelector })).items;
  const old = new Set(before.map((pod) => pod.metadata?.name));
  for (const pod of before) {
    await core.deleteNamespacedPod({ name: pod.metadata!.name!, namespace }).catch((error: unknown) => {
      if ((error as { code?: number }).code !== 404) throw error;
    });
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const pods = (await core.listNamespacedPod({ namespace, labelSelector })).items;
    if (pods.some((pod) => !old.has(pod.metadata?.name) && ready(pod))) return;
    if (Date.now() > deadline) {
      throw new TypeError(
        `no new ready pod of ${name} in ${namespace} after ${options.timeoutMs ?? 120_000} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

function ready(pod: V1Pod): boolean {
  return (
    pod.status?.phase === "Running" &&
    !pod.metadata?.deletionTimestamp &&
    (pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false)
  );
}
