/**
 * What the bridge needs from the rest of previewd, as small interfaces: it never imports the
 * orchestrator or the runtimes, so the composition root passes these in.
 */

/** Where browser lines go; matches `LogStore.append` in provisioner/logs/log-store.ts. */
export interface BrowserLogSink {
  append(envId: string, entry: { app: string; stream: "browser"; line: string }): void;
}

export interface BridgeEnvironments {
  /** The environment's public preview URL per app, or undefined when there is no such environment. */
  previewUrls(id: string): Record<string, string> | undefined;
  /** The environment's own data dir (screenshots live under it and go with it). */
  dataDir(id: string): string;
}
