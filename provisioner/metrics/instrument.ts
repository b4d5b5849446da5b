/** Counting what flows through the proxy and into the log store, without either knowing about metrics. */
import type { ServerResponse } from "node:http";
import type { LogStore } from "../logs/log-store.ts";
import type { PreviewProxy } from "../proxy/preview-proxy.ts";
import type { PreviewdMetrics } from "./previewd-metrics.ts";

/** The same proxy, counting preview requests (by final status) and WebSocket upgrades (proxied or refused). */
export function instrumentProxy(proxy: PreviewProxy, metrics: PreviewdMetrics): PreviewProxy {
  // One listener for every response (it reads the response it is called on), not a closure each.
  function counted(this: ServerResponse): void {
    metrics.countProxyRequest("http", this.statusCode);
  }
  return {
    handleRequest(req, res) {
      const handled = proxy.handleRequest(req, res);
      if (handled) res.once("finish", counted);
      return handled;
    },
    handleUpgrade(req, socket, head) {
      const handled = proxy.handleUpgrade(req, socket, head);
      // A refusal (unknown host, app not running) is written and ended synchronously.
      if (handled) metrics.countProxyRequest("websocket", socket.writableEnded ? "refused" : "proxied");
      return handled;
    },
  };
}

/**
 * Counts every line appended to `store`. The store is instrumented in place (its `append` is
 * wrapped) because runtimes, the orchestrator and the bridge all hold this same instance.
 */
export function countLogLines<T extends LogStore>(store: T, metrics: PreviewdMetrics): T {
  const append = store.append.bind(store);
  store.append = (envId, entry) => {
    metrics.countLogLine(entry.stream);
    append(envId, entry);
  };
  return store;
}
