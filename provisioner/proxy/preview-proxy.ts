/**
 * The preview proxy: `<app>--<env-id>.<base-domain>` requests and WebSockets go to the app's
 * current instance when its runtime names one (the process runtime: the port its front relays to,
 * so a request crosses one relay, this one, not two), else to its directUrl. The record names a
 * new instance once the front points at it: the proxy switches with the front, and the event that
 * follows retires the environment's connections to the old one (upstream-pools.ts).
 * The Host header is kept so apps see (and build links from) their preview URL.
 * With a token set, `access` decides first (see preview-access.ts); nothing refused reaches the app.
 * Requests reuse keep-alive connections to the apps, one pool per environment (upstream-pools.ts).
 */
import type http from "node:http";
import type { Duplex } from "node:stream";
import { createProxyServer } from "http-proxy-3";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { denyRequest, denyUpgrade } from "./access-denied-reply.ts";
import { dropHopByHopHeaders } from "./hop-by-hop-headers.ts";
import { PreviewAccess } from "./preview-access.ts";
import { BoundedCache } from "./bounded-cache.ts";
import { MAX_HOST_HEADER_LENGTH, parsePreviewHost, type PreviewHost } from "./preview-host.ts";
import { unknownHostPage } from "./unknown-host-page.ts";
import {
  forwardedHeadersOf,
  resendableAfterRefusal,
  restoreForwardedHeaders,
  retryableOnNewConnection,
} from "./stale-connection-retry.ts";
import { UpstreamPools } from "./upstream-pools.ts";

export interface PreviewProxy {
  /** Returns false when the request is not for a preview host (the API handles it then). */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export interface PreviewProxyDeps {
  orchestrator: Orchestrator;
  baseDomain: string;
  logger: Logger;
  /** Who may open previews; default: anyone (no token). */
  access?: PreviewAccess;
}

interface ProxyRoute {
  kind: "proxy";
  target: string;
  envId: string;
  app: string;
}

type Route =
  | { kind: "other" }
  | ProxyRoute
  /** A reply of previewd's own; `envId` when it is about an environment (asks for access first). */
  | { kind: "reply"; status: number; body: string; envId?: string };

const upstreamRequest = Symbol("previewd upstream request");
type WithUpstream = http.IncomingMessage & { [upstreamRequest]?: http.ClientRequest };

const statusText: Record<number, string> = {
  400: "Bad Request",
  404: "Not Found",
  503: "Service Unavailable",
};

export function createPreviewProxy({
  orchestrator,
  baseDomain,
  logger,
  access = new PreviewAccess({}),
}: PreviewProxyDeps): PreviewProxy {
  const proxy = createProxyServer({ xfwd: true, changeOrigin: false, ws: true });
  // Errors are answered in the per-request callbacks; this only keeps stray ones from crashing.
  proxy.on("error", (error) => logger.debug({ err: error }, "proxy error"));
  const pools = new UpstreamPools({
    subscribe: (envId, listener) => orchestrator.subscribe(envId, listener),
  });
  // The upstream request of each proxied request, to tell a stale pooled connection from a fresh
  // one: kept on the request itself, not in a WeakMap (an entry per request made every garbage
  // collection walk them: ~60 µs CPU per request, BENCHMARKS.md).
  proxy.on("proxyReq", (proxyReq, req: WithUpstream) => (req[upstreamRequest] = proxyReq));
  // Per request, http-proxy-3 parses a target given as a string: parsed once here instead (never mutated).
  const targetUrls = new BoundedCache<URL>();
  const parseUrl = (url: string) => new URL(url);
  const targetUrl = (target: string) => targetUrls.get(target, parseUrl);
  const hosts = new BoundedCache<PreviewHost>();
  const parseHost = (hostHeader: string) => parsePreviewHost(hostHeader, baseDomain);

  /** Where requests for the app go now; undefined when it has no address. */
  function targetOf(envId: string, app: string): string | undefined {
    const resolved = orchestrator.resolveApp(envId, app);
    return resolved?.instanceUrl ?? resolved?.directUrl;
  }

  function route(req: http.IncomingMessage): Route {
    const hostHeader = req.headers.host ?? "";
    // A pure function of the header: clients send the same few Host values over and over.
    const parsed = hosts.get(hostHeader, parseHost);
    if (parsed.kind === "other") return parsed;
    if (parsed.kind === "too-long") {
      return {
        kind: "reply",
        status: 400,
        body: `Host header of ${parsed.length} characters: a host name and port fit in ${MAX_HOST_HEADER_LENGTH}.\n`,
      };
    }
    // Every proxied request (each asset, each HMR poll) lands here: look the target up without
    // building every environment's view; the views are only for the error pages below.
    for (const { app, envId } of parsed.candidates) {
      const target = targetOf(envId, app);
      if (target) return { kind: "proxy", target, envId, app };
    }
    const environments = orchestrator.list();
    for (const { app, envId } of parsed.candidates) {
      const env = environments.find((candidate) => candidate.id === envId);
      if (!env || !(app in env.apps)) continue;
      const status = env.apps[app]?.status ?? "unknown";
      return {
        kind: "reply",
        status: 503,
        envId,
        body: `App ${app} of environment ${envId} is not running (app: ${status}, environment: ${env.status}).\n`,
      };
    }
    const listEnvironments = access.holdsToken(req);
    return {
      kind: "reply",
      status: 404,
      body: unknownHostPage(parsed.host, environments, { listEnvironments }),
    };
  }

  /**
   * Proxies a request to its app, sent once more in two cases (stale-connection-retry.ts): on a new
   * connection when a pooled one turned out closed, to the app's new instance when the one it
   * looked up refused the connection (a switchover between lookup and connect).
   */
  function send(req: http.IncomingMessage, res: http.ServerResponse, decision: ProxyRoute): void {
    const { envId, app } = decision;
    const forwarded = forwardedHeadersOf(req);
    let target = decision.target;
    let retried = false;
    let rerouted = false;
    const forward = (agent: http.Agent | false) =>
      proxy.web(req, res, { target: targetUrl(target), agent }, onError);
    const onError = (error: Error) => {
      if (!retried && retryableOnNewConnection(error, req, res, (req as WithUpstream)[upstreamRequest])) {
        // A retry takes a connection of its own: the pool may hold more that the app closed.
        retried = true;
        logger.debug({ err: error, env: envId, app }, "stale upstream connection");
        restoreForwardedHeaders(req, forwarded);
        return forward(false);
      }
      const now = !rerouted && resendableAfterRefusal(error, req, res) ? targetOf(envId, app) : undefined;
      if (now !== undefined && now !== target) {
        rerouted = true;
        logger.debug({ err: error, env: envId, app, from: target, to: now }, "instance changed");
        target = now;
        restoreForwardedHeaders(req, forwarded);
        return forward(pools.agentFor(envId));
      }
      logger.warn({ err: error, env: envId, app }, "preview upstream unreachable");
      const body = `App ${app} of environment ${envId} did not answer at ${target}: ${errorMessage(error)}\n`;
      if (!res.headersSent) reply(res, 502, body);
      else res.destroy();
    };
    forward(pools.agentFor(envId));
  }

  return {
    handleRequest(req, res) {
      const decision = route(req);
      if (decision.kind === "other") return false;
      if (decision.envId !== undefined) {
        const verdict = access.decide(req, decision.envId);
        if (verdict.kind === "deny") {
          denyRequest(req, res, verdict.detail);
          return true;
        }
        if (verdict.kind === "redirect") {
          res.writeHead(303, {
            Location: verdict.location,
            "Set-Cookie": verdict.setCookie,
            "Cache-Control": "no-store",
            "Content-Length": 0,
          });
          res.end();
          return true;
        }
      }
      if (decision.kind === "reply") {
        reply(res, decision.status, decision.body);
        return true;
      }
      access.stripCredentials(req);
      dropHopByHopHeaders(req);
      send(req, res, decision);
      return true;
    },

    handleUpgrade(req, socket, head) {
      const decision = route(req);
      if (decision.kind === "other") return false;
      if (decision.envId !== undefined) {
        const verdict = access.decide(req, decision.envId);
        // A share link is for a page: a WebSocket comes with the cookie that page got.
        if (verdict.kind !== "pass") {
          denyUpgrade(
            socket,
            verdict.kind === "deny" ? verdict.detail : "open the share link in a page first",
          );
          return true;
        }
      }
      if (decision.kind === "reply") {
        socket.end(
          `HTTP/1.1 ${decision.status} ${statusText[decision.status] ?? "Error"}\r\n` +
            `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(decision.body)}\r\nConnection: close\r\n\r\n${decision.body}`,
        );
        return true;
      }
      access.stripCredentials(req);
      const target = decision.target;
      proxy.ws(req, socket, head, { target: targetUrl(target) }, (error) => {
        logger.warn(
          { err: error, env: decision.envId, app: decision.app },
          "preview WebSocket upstream unreachable",
        );
        if (socket.writable)
          socket.end("HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        else socket.destroy();
      });
      return true;
    },
  };
}

function reply(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
}
