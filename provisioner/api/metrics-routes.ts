/** GET /metrics in Prometheus' text format, and the middleware that times every API request. */
import { Router, type Request, type RequestHandler } from "express";
import type { PreviewdMetrics } from "../metrics/previewd-metrics.ts";

/** Unauthenticated like /healthz: a scraper has no token, and the numbers name no secrets. */
export function metricsRoutes(metrics: PreviewdMetrics): Router {
  const router = Router();
  router.get("/metrics", async (_req, res) => {
    const body = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(body);
  });
  return router;
}

/** Counts and times every request by its route pattern (`/v1/environments/:id`), never the raw path. */
export function httpMetrics(metrics: PreviewdMetrics): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const route = matchedRoute(req);
    // "close" rather than "finish": it also fires when a client drops a stream (SSE, follow).
    res.once("close", () => {
      metrics.observeHttp(
        { method: req.method, route: route() ?? "unmatched", status: res.statusCode },
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/**
 * The full pattern of the route that matched. Read when the router assigns `req.route`: by the
 * time an error reaches the error handler, the router has already reset `req.baseUrl`.
 */
function matchedRoute(req: Request): () => string | undefined {
  let current: unknown;
  let pattern: string | undefined;
  Object.defineProperty(req, "route", {
    configurable: true,
    enumerable: true,
    get: () => current,
    set(value: { path?: unknown } | undefined) {
      current = value;
      if (typeof value?.path === "string") pattern = `${req.baseUrl}${value.path}`;
    },
  });
  return () => pattern;
}
