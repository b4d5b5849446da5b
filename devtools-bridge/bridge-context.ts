/** What the bridge's HTTP routes and WebSocket proxy share. */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { NotFoundError } from "../provisioner/errors.ts";
import type { Logger } from "../provisioner/logger.ts";
import type { BridgeConfig } from "./bridge-config.ts";
import type { BridgeEnvironments, BrowserLogSink, RequestGuard } from "./bridge-deps.ts";
import type { BrowserPool } from "./browser/browser-pool.ts";
import { chromiumRequest } from "./cdp/chromium-http.ts";
import type { ManagedBrowser } from "./managed-browser.ts";

export interface BridgeContext {
  pool: BrowserPool<ManagedBrowser>;
  environments: BridgeEnvironments;
  logs: BrowserLogSink;
  logger: Logger;
  config: BridgeConfig;
  token?: string;
  /** Host and Origin check; without one, any upgrade that carries an Origin is refused. */
  guard?: RequestGuard;
  /** The environment's preview URLs; NotFoundError when there is no such environment. */
  requireEnvironment(id: string): Record<string, string>;
  /** The DevTools protocol description (the same for every browser of one executable). */
  protocol(): Promise<string>;
  /** The environment's browserUrl (its own loopback listener), once it is open. */
  browserUrl(envId: string): string | undefined;
}

export function environmentLookup(environments: BridgeEnvironments): (id: string) => Record<string, string> {
  return (id) => {
    const urls = environments.previewUrls(id);
    if (!urls) throw new NotFoundError(`no environment ${JSON.stringify(id)}`);
    return urls;
  };
}

/**
 * From a running browser when there is one (then cached), else the copy chrome-remote-interface
 * ships: serving it must never start a browser, since `/json/protocol` at the root is public.
 */
export function protocolSource(runningPorts: () => number[]): () => Promise<string> {
  let cached: string | undefined;
  return async () => {
    if (cached) return cached;
    for (const port of runningPorts()) {
      const reply = await chromiumRequest(port, "GET", "/json/protocol").catch(() => undefined);
      if (reply?.status === 200) return (cached = reply.body);
    }
    const require = createRequire(import.meta.url);
    return readFile(require.resolve("chrome-remote-interface/lib/protocol.json"), "utf8");
  };
}
