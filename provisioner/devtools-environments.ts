/** What the CDP bridge may know of environments, read from the orchestrator (the bridge never imports it). */
import type { BridgeEnvironments } from "../devtools-bridge/bridge-deps.ts";
import type { EnvironmentOrchestrator } from "./orchestrator/create-orchestrator.ts";

export function bridgeEnvironments(orchestrator: EnvironmentOrchestrator): BridgeEnvironments {
  return {
    previewUrls(id) {
      let apps;
      try {
        apps = orchestrator.get(id).apps;
      } catch {
        return undefined;
      }
      return Object.fromEntries(Object.entries(apps).map(([app, view]) => [app, view.url]));
    },
    dataDir: (id) => orchestrator.dataDir(id),
  };
}
