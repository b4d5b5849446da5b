/**
 * Follows the log of every container in a namespace into the log store, each line labelled with
 * its pod's app (APP_LABEL, else the container's name). Pods are listed every few seconds, so new
 * pods (an update, a restart) are followed too; a follow that ends (the pod went away, the API
 * server closed it) starts again after the last line seen, with timestamps to skip what was read.
 */
import { PassThrough } from "node:stream";
import { createInterface } from "node:readline";
import type { CoreV1Api, Log, V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../logger.ts";
import type { LogStore } from "../../logs/log-store.ts";
import type { LogFollower } from "./cluster-access.ts";
import { APP_LABEL } from "./kubernetes-labels.ts";

export interface PodLogsOptions {
  core: CoreV1Api;
  log: Log;
  envId: string;
  namespace: string;
  logs: LogStore;
  logger: Logger;
  /** How often pods are listed (default 2 s). */
  pollMs?: number;
}

interface Followed {
  controller?: AbortController;
  /** RFC 3339 timestamp of the last line read: where a new follow resumes. */
  last?: string;
  live: boolean;
}

export function followPodLogs(options: PodLogsOptions): LogFollower {
  const followed = new Map<string, Followed>();
  let stopped = false;

  const app = (pod: V1Pod, container: string) => pod.metadata?.labels?.[APP_LABEL] ?? container;

  const follow = async (pod: V1Pod, container: string, key: string) => {
    const entry = followed.get(key) ?? { live: false };
    followed.set(key, entry);
    entry.live = true;
    const name = app(pod, container);
    const stream = new PassThrough();
    const lines = createInterface({ input: stream });
    lines.on("line", (raw) => {
      // `timestamps=true`: each line begins with its RFC 3339 time and a space.
      const space = raw.indexOf(" ");
      const ts = space > 0 ? raw.slice(0, space) : undefined;
      if (ts && entry.last && ts <= entry.last) return;
      if (ts) entry.last = ts;
      options.logs.append(options.envId, {
        app: name,
        stream: "stdout",
        line: ts ? raw.slice(space + 1) : raw,
      });
    });
    lines.on("close", () => {
      entry.live = false;
    });
    try {
      entry.controller = await options.log.log(
        options.namespace,
        pod.metadata?.name ?? "",
        container,
        stream,
        {
          follow: true,
          timestamps: true,
          ...(entry.last && { sinceTime: entry.last }),
        },
      );
      if (stopped) entry.controller.abort();
    } catch (error) {
      entry.live = false;
      stream.end();
      options.logger.debug(
        { envId: options.envId, pod: pod.metadata?.name, container, err: error },
        "cannot follow pod log",
      );
    }
  };

  const poll = async () => {
    const pods = await options.core.listNamespacedPod({ namespace: options.namespace });
    for (const pod of pods.items) {
      for (const status of pod.status?.containerStatuses ?? []) {
        // A container that has not started has no log yet.
        if (!status.state?.running && !status.state?.terminated) continue;
        const key = `${pod.metadata?.name}/${status.name}/${status.restartCount}`;
        const known = followed.get(key);
        // Read to its end once it stopped: nothing more will come.
        if (stopped || known?.live || (known && status.state?.terminated)) continue;
        void follow(pod, status.name, key);
      }
    }
  };

  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    poll()
      .catch((error: unknown) =>
        options.logger.debug({ envId: options.envId, err: error }, "cannot list pods"),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, options.pollMs ?? 2_000);
      });
  };
  loop();

  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      for (const entry of followed.values()) entry.controller?.abort();
      followed.clear();
      return Promise.resolve();
    },
  };
}
