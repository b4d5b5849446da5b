/**
 * The devtools URLs an environment advertises. The browser may not run yet, so the browser
 * endpoint carries a stable id derived from the environment id; the bridge maps it to the real
 * browser target when a client connects. `browserUrl` is the environment's own loopback listener
 * (browser-url/), which speaks Chrome's endpoints at its root.
 */
import { createHash } from "node:crypto";

export interface DevtoolsEndpoints {
  http: string;
  webSocketDebuggerUrl: string;
  /** `http://127.0.0.1:<port>`: Chrome's remote-debugging endpoints at the root. */
  browserUrl: string;
}

/** A UUID-shaped id, the same for an environment across restarts. */
export function stableBrowserId(envId: string): string {
  const hex = createHash("sha256").update(`previewd-browser\0${envId}`).digest("hex");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    "-",
  );
}

export function devtoolsBasePath(envId: string): string {
  return `/v1/environments/${encodeURIComponent(envId)}/devtools`;
}

/** `origin` is an http(s) origin, e.g. `http://127.0.0.1:7070`. */
export function devtoolsEndpoints(origin: string, envId: string, browserUrl: string): DevtoolsEndpoints {
  const base = origin.replace(/\/+$/, "") + devtoolsBasePath(envId);
  return {
    http: base,
    webSocketDebuggerUrl: `${base.replace(/^http/, "ws")}/browser/${stableBrowserId(envId)}`,
    browserUrl,
  };
}
