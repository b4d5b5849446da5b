/**
 * The check in front of every surface except preview hosts (API, CDP bridge HTTP and WebSocket,
 * `/json`, `/metrics`, dashboard): the Host must be one of previewd's (DNS rebinding), and an
 * Origin, when a browser sends one, must be previewd's own or explicitly allowed (cross-site
 * requests, including body-less form POSTs and WebSocket upgrades). Clients that send no Origin
 * (curl, SDKs, Playwright, Puppeteer, chrome-remote-interface) pass the Origin check.
 */
import type { IncomingMessage } from "node:http";
import { ForbiddenHostError, ForbiddenOriginError } from "./guard-errors.ts";
import type { GuardConfig } from "./guard-config.ts";
import { HostAllowlist, parseHost } from "./host-allowlist.ts";
import { OriginAllowlist } from "./origin-allowlist.ts";

export type RequestGuard = (req: IncomingMessage) => ForbiddenHostError | ForbiddenOriginError | undefined;

export interface RequestGuardOptions {
  config: GuardConfig;
  /** Names under it are preview hosts: the proxy's, and never previewd's own origin. */
  baseDomain: string;
  /** Origins a path accepts besides previewd's own (OFREP answers its environment's preview pages). */
  extraOrigins?: (path: string) => readonly string[];
}

export function createRequestGuard({ config, baseDomain, extraOrigins }: RequestGuardOptions): RequestGuard {
  const hosts = new HostAllowlist(config);
  const suffix = `.${baseDomain.toLowerCase()}`;
  const origins = new OriginAllowlist(config, hosts, (hostname) => hostname.endsWith(suffix));
  const allowedHosts = HostAllowlist.describe(config);
  return (req) => {
    const host = parseHost(req.headers.host);
    if (!host || !hosts.allows(host)) {
      return new ForbiddenHostError(
        `Host ${shown(req.headers.host)} is not one of previewd's (${allowedHosts}); ` +
          "if it is yours, add it to PREVIEWD_ALLOWED_HOSTS",
      );
    }
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    const extra = extraOrigins?.(pathOf(req.url)) ?? [];
    if (origins.allows(origin, req.socket.localPort ?? 0, extra)) return undefined;
    return new ForbiddenOriginError(
      `requests from web pages at ${shown(origin)} are refused: it is not previewd's own origin; ` +
        "if it is yours, add it to PREVIEWD_ALLOWED_ORIGINS",
    );
  };
}

function pathOf(url: string | undefined): string {
  try {
    return new URL(url ?? "/", "http://previewd").pathname;
  } catch {
    return "/";
  }
}

/** Quoted and short: the header is the caller's, and the answer must stay small. */
function shown(value: string | undefined): string {
  if (value === undefined) return "(none)";
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}
