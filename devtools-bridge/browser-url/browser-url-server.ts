/**
 * What one environment's browserUrl listener serves: Chrome's remote-debugging endpoints at the
 * root (`/json/version`, `/json/list`, `/devtools/page/<id>`…, cdp/), behind the same checks as
 * the rest of previewd: the request guard's Host and Origin allowlists (a new listener is a new
 * target for DNS rebinding) and, with a token set, `Authorization: Bearer` or `?token=`.
 */
import express, { type RequestHandler } from "express";
import { notFoundHandler, problemHandler } from "../../provisioner/api/problem.ts";
import { UnauthorizedError } from "../../provisioner/errors.ts";
import { ForbiddenOriginError } from "../../provisioner/request-guard/guard-errors.ts";
import type { BridgeContext } from "../bridge-context.ts";
import { retryAfter } from "../bridge-errors.ts";
import { cdpJsonRoutes, rootMount } from "../cdp/cdp-json-routes.ts";
import type { CdpUpgrades } from "../cdp/cdp-websocket-proxy.ts";
import { presentedToken, tokenMatches } from "../token-check.ts";
import type { BrowserUrlHandlers } from "./browser-url-listeners.ts";

export function browserUrlHandlers(
  context: BridgeContext,
  upgrades: CdpUpgrades,
  envId: string,
): BrowserUrlHandlers {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use(guarded(context));
  app.use(cdpJsonRoutes(context, rootMount(envId)));
  app.use(notFoundHandler());
  app.use(retryAfter);
  app.use(problemHandler(context.logger));
  // The WebSocket proxy runs the guard and the token check on upgrades itself.
  return { request: app, upgrade: upgrades.root(envId) };
}

function guarded(context: BridgeContext): RequestHandler {
  return (req, res, next) => {
    const refusal = context.guard
      ? context.guard(req)
      : req.headers.origin !== undefined
        ? new ForbiddenOriginError("DevTools requests from web pages are refused")
        : undefined;
    if (refusal) return next(refusal);
    if (context.token && !tokenMatches(presentedToken(req), context.token)) {
      res.set("WWW-Authenticate", 'Bearer realm="previewd"');
      return next(
        new UnauthorizedError("missing or wrong token (Authorization: Bearer <PREVIEWD_TOKEN> or ?token=)"),
      );
    }
    next();
  };
}
