/**
 * What the bridge needs from the rest of previewd, as small interfaces: it never imports the
 * orchestrator or the runtimes, so the composition root passes these in.
 */
import type { IncomingMessage } from "node:http";
import type { PreviewdError } from "../provisioner/errors.ts";
import type { PreviewCookie } from "./browser/preview-cookies.ts";

/**
 * previewd's Host and Origin check (provisioner/request-guard/): the error to refuse a request
 * with, or undefined to let it through. The bridge runs it on its WebSocket upgrades as well.
 */
export type RequestGuard = (req: IncomingMessage) => PreviewdError | undefined;

/**
 * The unprivileged user browsers run as when previewd is root (so a page cannot read root's files
 * through `file://`, nor previewd's token from `/proc`), and a folder that user can reach for
 * their user-data-dirs. previewd's composition root makes both.
 */
export interface BrowserUser {
  uid: number;
  gid: number;
  /** Parent of the user-data-dirs. */
  browsersDir: string;
  /** Makes browsersDir, with every folder above it letting that user in. */
  prepare(): Promise<void>;
}

/** Where browser lines go; matches `LogStore.append` in provisioner/logs/log-store.ts. */
export interface BrowserLogSink {
  append(envId: string, entry: { app: string; stream: "browser"; line: string }): void;
}

export interface BridgeEnvironments {
  /** The environment's public preview URL per app, or undefined when there is no such environment. */
  previewUrls(id: string): Record<string, string> | undefined;
  /** The environment's own data dir (screenshots live under it and go with it). */
  dataDir(id: string): string;
  /**
   * Cookies that let the environment's own browser into its protected previews (SPEC "Safe
   * against web pages"); none, or no such function, when previews are open.
   */
  previewCookies?(id: string): PreviewCookie[];
  /**
   * The environment's own browser, when its runtime runs one (kubernetes: in its namespace,
   * port-forwarded): the bridge attaches to it instead of launching a Chromium. `httpUrl` is its
   * loopback DevTools HTTP URL, missing while it is not reachable. Undefined: the bridge's own.
   */
  remoteBrowser?(id: string): { httpUrl?: string } | undefined;
}
