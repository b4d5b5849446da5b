/** GET /metrics in Prometheus' text format, and the middleware that times every API request. */
import { Router, type RequestHandler } from "express";
import type { PreviewdMetrics } from "../metrics/previewd-metrics.ts";
import { requireToken } from "./auth.ts";
import { routeTemplate, type LayerStack } from "./route-template.ts";

/** Behind the token when one is set, like /v1: the numbers describe what previewd runs. */
export function metricsRoutes(metrics: PreviewdMetrics, token?: string): Router {
  const router = Router();
  router.get("/metrics", requireToken(token), async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(body);
  });
  return router;
}

/**
 * Counts and times every request by its route pattern (`/v1/environments/:id`), or "unmatched",
 * never the raw path: label values must stay few whatever callers send. `root` is the app's router.
 */
export function httpMetrics(metrics: PreviewdMetrics, root: () => LayerStack): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const route = matchedRoute(req);
    // "close" rather than "finish": it also fires when a client drops a stream (SSE, follow).
    res.once("close", () => {
      const matched = route();
      metrics.observeHttp(
        {
          method: req.method,
          route: (matched && routeTemplate(root(), matched)) ?? "unmatched",
          status: res.statusCode,
        },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/**
 * The route that matched, caught when the router assigns `req.route` (by the time an error reaches
 * the error handler, the router has reset it).
 */
function matchedRoute(req: object): () => object | undefined {
  let current: unknown;
  let matched: object | undefined;
  Object.defineProperty(req, "route", {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(value: unknown) {
      current = value;
      if (typeof value === "object" && value !== null) matched = value;
    },
  });
  return () => matched;
}
