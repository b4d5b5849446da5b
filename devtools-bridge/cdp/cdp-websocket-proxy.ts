/**
 * WebSocket upgrades for `/v1/environments/:id/devtools/<type>/<targetId>` on previewd's server,
 * and for `/devtools/<type>/<targetId>` at the root of an environment's browserUrl listener: the
 * bridge checks Host, Origin and the token itself (upgrades never pass through express), opens
 * the matching WebSocket on the environment's browser, and relays frames both ways until either
 * side closes, then closes the other. The stable browser id of the environment's view maps to
 * whatever browser runs now, starting one if need be; page and other targets need the browser to
 * run already. What a client opened is closed when it leaves (clean-slate/).
 */
import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer, type RawData } from "ws";
import { isPreviewdError } from "../../provisioner/errors.ts";
import type { BridgeContext } from "../bridge-context.ts";
import { TooManyBrowsersError } from "../bridge-errors.ts";
import { clientMessages, type ClientMessages } from "../clean-slate/client-messages.ts";
import type { ClientConnection } from "../clean-slate/client-pages.ts";
import { stableBrowserId } from "../devtools-endpoints.ts";
import { presentedToken, tokenMatches } from "../token-check.ts";
import type { Lease } from "../browser/browser-pool.ts";
import type { ManagedBrowser } from "../managed-browser.ts";
import { contextCookieRelay, type ContextCookieRelay } from "./context-cookie-relay.ts";

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface CdpUpgrades {
  /** `/v1/environments/:id/devtools/<type>/<id>`, on previewd's own server. */
  prefixed: UpgradeHandler;
  /** `/devtools/<type>/<id>` at the root, on one environment's browserUrl listener. */
  root(envId: string): UpgradeHandler;
}

const prefixedPath = /^\/v1\/environments\/([^/]+)\/devtools\/([a-z_]+)\/([^/]+)$/;
const rootPath = /^\/devtools\/([a-z_]+)\/([^/]+)$/;

export function cdpUpgrades(context: BridgeContext): CdpUpgrades {
  const server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
  });
  const accept = (upgrade: Upgrade, envId: string, type: string, target: string): true => {
    void connect(context, server, upgrade, envId, type, target).catch((error: unknown) => {
      const status = isPreviewdError(error) ? error.status : 502;
      const problemType = isPreviewdError(error) ? error.type : "cdp";
      const detail = error instanceof Error ? error.message : String(error);
      const headers: Record<string, string> =
        error instanceof TooManyBrowsersError ? { "Retry-After": String(error.retryAfterSeconds) } : {};
      if (status >= 500)
        context.logger.warn({ err: error, url: upgrade.req.url }, "devtools WebSocket failed");
      reject(upgrade.socket, status, detail, headers, problemType);
    });
    return true;
  };
  return {
    prefixed: (req, socket, head) => {
      const match = prefixedPath.exec(pathname(req));
      if (!match) return false;
      const [, rawEnv = "", type = "", target = ""] = match;
      return accept({ req, socket, head }, decodeURIComponent(rawEnv), type, target);
    },
    root: (envId) => (req, socket, head) => {
      const match = rootPath.exec(pathname(req));
      if (!match) return false;
      const [, type = "", target = ""] = match;
      return accept({ req, socket, head }, envId, type, target);
    },
  };
}

function pathname(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? "/", "http://bridge").pathname;
  } catch {
    return "";
  }
}

interface Upgrade {
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

async function connect(
  context: BridgeContext,
  server: WebSocketServer,
  { req, socket, head }: Upgrade,
  envId: string,
  type: string,
  target: string,
): Promise<void> {
  // A web page must not drive this browser (WebSockets skip CORS): previewd's Host and Origin
  // check, never a comparison of Origin with Host (under DNS rebinding they are equal).
  const refusal = context.guard ? context.guard(req) : undefined;
  if (refusal) return reject(socket, refusal.status, refusal.message, {}, refusal.type);
  if (!context.guard && req.headers.origin !== undefined) {
    return reject(socket, 403, "DevTools connections from web pages are refused", {}, "forbidden-origin");
  }
  if (context.token && !tokenMatches(presentedToken(req), context.token)) {
    return reject(socket, 401, "missing or wrong token (Authorization: Bearer <PREVIEWD_TOKEN> or ?token=)", {
      "WWW-Authenticate": 'Bearer realm="previewd"',
    });
  }
  context.requireEnvironment(envId);

  let lease: Lease<ManagedBrowser>;
  if (type === "browser") {
    if (target !== stableBrowserId(envId) && target !== context.pool.running(envId)?.browserId) {
      return reject(socket, 404, `no browser ${target} in environment ${envId}`);
    }
    lease = await context.pool.acquire(envId);
  } else {
    if (!context.pool.running(envId))
      return reject(socket, 404, `no ${type} ${target}: the browser of ${envId} is not running`);
    lease = await context.pool.acquire(envId);
  }

  // Pages of clients that have just left are gone before this one looks.
  await lease.browser.clients.settle();
  // Again for each client: one before it may have cleared the cookies, or apps may have come since.
  await lease.browser
    .authorizePreviews()
    .catch((error: unknown) => context.logger.warn({ err: error, env: envId }, "preview cookies not set"));
  const cookies = contextCookieRelay(
    (contextId) => lease.browser.authorizePreviews(contextId),
    (error) => context.logger.warn({ err: error, env: envId }, "preview cookies not set in a new context"),
  );

  const browserPath =
    type === "browser"
      ? `/devtools/browser/${lease.browser.browserId}`
      : `/devtools/${type}/${encodeURIComponent(target)}`;
  let upstream: WebSocket;
  try {
    upstream = await openUpstream(`ws://127.0.0.1:${lease.browser.port}${browserPath}`);
  } catch (error) {
    lease.release();
    return reject(socket, 404, `no ${type} ${target} in environment ${envId}: ${(error as Error).message}`);
  }
  if (socket.destroyed) {
    upstream.terminate();
    lease.release();
    return;
  }
  server.handleUpgrade(req, socket, head, (client) => {
    const connection = lease.browser.clients.connect(() => client.readyState === WebSocket.OPEN);
    if (type === "page") connection.claim(target);
    relay(client, upstream, {
      release: lease.release,
      cookies,
      connection,
      messages: clientMessages(connection, type === "page" ? target : undefined),
    });
  });
}

function openUpstream(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const upstream = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    upstream.once("open", () => {
      upstream.removeAllListeners("error");
      resolve(upstream);
    });
    upstream.once("unexpected-response", (_req, res) => {
      upstream.terminate();
      reject(new Error(`the browser answered ${res.statusCode}`));
    });
    upstream.once("error", (error) => reject(error));
  });
}

interface RelayParts {
  release(): void;
  cookies: ContextCookieRelay;
  connection: ClientConnection;
  messages: ClientMessages;
}

function relay(client: WebSocket, upstream: WebSocket, parts: RelayParts): void {
  const { cookies, messages } = parts;
  const pass = (to: WebSocket) => (data: RawData | string, isBinary: boolean) => {
    if (to.readyState === WebSocket.OPEN) to.send(data, { binary: isBinary });
  };
  const toUpstream = pass(upstream);
  const toClient = pass(client);
  client.on("message", (data, isBinary) => {
    const answer = messages.fromClient(data);
    // Answered here (Browser.close), in order with the browser's answers the relay may hold.
    if (answer !== undefined) return cookies.toClient(Buffer.from(answer), () => toClient(answer, false));
    cookies.fromClient(data);
    toUpstream(data, isBinary);
  });
  upstream.on("message", (data, isBinary) => {
    messages.toClient(data);
    cookies.toClient(data, () => toClient(data, isBinary));
  });
  let done = false;
  const finish = (other: WebSocket, code: number, reason: Buffer) => {
    if (!done) {
      done = true;
      // The lease is held until the client's pages are closed: an idle stop must not race it.
      void parts.connection.disconnect().finally(parts.release);
    }
    if (other.readyState === WebSocket.OPEN) other.close(sendableCode(code), reason);
    else if (other.readyState !== WebSocket.CLOSED) other.terminate();
  };
  client.on("close", (code, reason) => finish(upstream, code, reason));
  upstream.on("close", (code, reason) => finish(client, code, reason));
  // An error is followed by close; terminating makes sure the close comes now.
  client.on("error", () => client.terminate());
  upstream.on("error", () => upstream.terminate());
}

/** 1005, 1006 and 1015 describe a close but must never be sent in one. */
function sendableCode(code: number): number {
  if (code === 1006 || code === 1015) return 1011;
  return code === 1005 || code < 1000 ? 1000 : code;
}

function reject(
  socket: Duplex,
  status: number,
  detail: string,
  headers: Record<string, string> = {},
  type = status === 401 ? "unauthorized" : status === 404 ? "not-found" : "devtools",
): void {
  if (!socket.writable) return void socket.destroy();
  const title = STATUS_CODES[status] ?? "Error";
  const body = JSON.stringify({ type, title, status, detail });
  const lines = [
    `HTTP/1.1 ${status} ${title}`,
    "Connection: close",
    "Content-Type: application/problem+json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}
