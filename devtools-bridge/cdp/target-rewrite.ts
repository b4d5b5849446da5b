/**
 * Chromium's /json answers name its own loopback port; clients must come back through the
 * bridge instead. These rewrite every URL in them to the bridge's address.
 */
export interface BridgeAddress {
  /** `ws://<host>/v1/environments/<id>/devtools`, or `ws://<host>/devtools` at a browserUrl's root. */
  wsBase: string;
  /** The browser endpoint's stable id (see devtools-endpoints.ts). */
  browserId: string;
  /** Appended to WebSocket URLs, e.g. `?token=…` when the client authenticated that way. */
  query: string;
}

type Json = Record<string, unknown>;

/** `ws://127.0.0.1:<port>/devtools/page/<id>` → `<wsBase>/page/<id>`; the browser endpoint gets the stable id. */
export function bridgeWebSocketUrl(browserUrl: string, address: BridgeAddress): string {
  const path = new URL(browserUrl).pathname.replace(/^\/devtools/, "");
  const [, type = "", id = ""] = path.split("/");
  const target = type === "browser" ? address.browserId : id;
  return `${address.wsBase}/${type}/${target}${address.query}`;
}

/**
 * What `/json/list` shows a client: pages, never the browser's own UI (`browser_ui`, e.g.
 * `chrome://omnibox-popup…`), workers, or the bridge's own windows (`internal`, screenshots).
 */
export function listedTargets(targets: Json[], internal: ReadonlySet<string>): Json[] {
  return targets.filter(
    (target) =>
      target.type === "page" &&
      !internal.has(String(target.id)) &&
      !String(target.url ?? "").startsWith("chrome://omnibox-popup"),
  );
}

export function rewriteVersion(version: Json, address: BridgeAddress): Json {
  const url = version.webSocketDebuggerUrl;
  return typeof url === "string"
    ? { ...version, webSocketDebuggerUrl: bridgeWebSocketUrl(url, address) }
    : version;
}

export function rewriteTarget(target: Json, address: BridgeAddress): Json {
  const rewritten: Json = { ...target };
  const wsUrl = target.webSocketDebuggerUrl;
  if (typeof wsUrl === "string") rewritten.webSocketDebuggerUrl = bridgeWebSocketUrl(wsUrl, address);
  const frontend = target.devtoolsFrontendUrl;
  if (typeof frontend === "string" && typeof wsUrl === "string") {
    rewritten.devtoolsFrontendUrl = rewriteFrontendUrl(
      frontend,
      bridgeWebSocketUrl(wsUrl, { ...address, query: "" }),
    );
  }
  return rewritten;
}

/** The frontend takes its WebSocket as `ws=<host>/<path>` (or `wss=`), without the scheme. */
function rewriteFrontendUrl(frontend: string, bridgeWs: string): string {
  const secure = bridgeWs.startsWith("wss:");
  const hostAndPath = bridgeWs.replace(/^wss?:\/\//, "");
  return frontend.replace(
    /([?&])wss?=[^&#]*/,
    (_match, separator: string) => `${separator}${secure ? "wss" : "ws"}=${hostAndPath}`,
  );
}
