/** What the CDP bridge may know of environments, read from the orchestrator (the bridge never imports it). */
import type { BridgeEnvironments } from "../devtools-bridge/bridge-deps.ts";
import type { EnvironmentOrchestrator } from "./orchestrator/create-orchestrator.ts";
import { SESSION_COOKIE, type PreviewAccess } from "./proxy/preview-access.ts";

export interface BridgeEnvironmentOptions {
  /** With a token set, the environment's browser gets session cookies for its own previews. */
  access?: PreviewAccess;
  /** How long those cookies last; they are set again at each client connection. */
  cookieTtlSeconds?: number;
}

export function bridgeEnvironments(
  orchestrator: EnvironmentOrchestrator,
  options: BridgeEnvironmentOptions = {},
): BridgeEnvironments {
  const previewUrls = (id: string): Record<string, string> | undefined => {
    let apps;
    try {
      apps = orchestrator.get(id).apps;
    } catch {
      return undefined;
    }
    return Object.fromEntries(Object.entries(apps).map(([app, view]) => [app, view.url]));
  };
  return {
    previewUrls,
    dataDir: (id) => orchestrator.dataDir(id),
    previewCookies(id) {
      const expires = new Date(Date.now() + (options.cookieTtlSeconds ?? 7 * 86_400) * 1000);
      const value = options.access?.sessionValue(id, expires);
      if (!value) return [];
      return Object.values(previewUrls(id) ?? {}).map((url) => ({
        name: SESSION_COOKIE,
        value,
        url,
        expires: Math.floor(expires.getTime() / 1000),
      }));
    },
    remoteBrowser(id) {
      let runtime;
      try {
        runtime = orchestrator.runtime(orchestrator.record(id).runtime);
      } catch {
        return undefined;
      }
      if (!runtime.browserEndpoint) return undefined;
      const httpUrl = runtime.browserEndpoint(id);
      return httpUrl === undefined ? {} : { httpUrl };
    },
  };
}
