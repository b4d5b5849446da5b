/**
 * The bridge's CDP HTTP endpoints under `/v1/environments/:id/devtools`: Chromium's own
 * `/json/*`, answered by the environment's browser (started on demand) with every URL pointing
 * back at the bridge. Mounted with `mergeParams`, behind the /v1 token check.
 */
import { Router, type Request, type Response } from "express";
import type { BridgeContext } from "../bridge-context.ts";
import { devtoolsBasePath, devtoolsEndpoints, stableBrowserId } from "../devtools-endpoints.ts";
import type { ManagedBrowser } from "../managed-browser.ts";
import { chromiumJson, chromiumRequest } from "./chromium-http.ts";
import { rewriteTarget, rewriteVersion, type BridgeAddress } from "./target-rewrite.ts";

type Json = Record<string, unknown>;

export function cdpJsonRoutes(context: BridgeContext): Router {
  const router = Router({ mergeParams: true });

  /** Runs `work` on the environment's browser, holding it (so it is not stopped as idle) meanwhile. */
  const withBrowser = async <T>(req: Request, work: (browser: ManagedBrowser) => Promise<T>): Promise<T> => {
    const id = envId(req);
    context.requireEnvironment(id);
    const lease = await context.pool.acquire(id);
    try {
      return await work(lease.browser);
    } finally {
      lease.release();
    }
  };

  router.get("/", (req, res) => {
    const id = envId(req);
    context.requireEnvironment(id);
    res.json({ ...devtoolsEndpoints(origin(req), id), running: context.pool.running(id) !== undefined });
  });

  router.get("/json/version", async (req, res) => {
    const version = await withBrowser(req, (b) => chromiumJson<Json>(b.port, "GET", "/json/version"));
    res.json(rewriteVersion(version, address(req)));
  });

  router.get(["/json", "/json/list"], async (req, res) => {
    const targets = await withBrowser(req, (b) => chromiumJson<Json[]>(b.port, "GET", "/json/list"));
    const bridge = address(req);
    res.json(targets.map((target) => rewriteTarget(target, bridge)));
  });

  router.get("/json/protocol", async (req, res) => {
    context.requireEnvironment(envId(req));
    res.type("application/json").send(await context.protocol());
  });

  // Chromium only accepts PUT here (GET is refused as unsafe); its answer is passed on as it is.
  router.all("/json/new", async (req, res) => {
    const reply = await withBrowser(req, (b) =>
      chromiumRequest(b.port, req.method, `/json/new${rawQuery(req)}`),
    );
    if (reply.status !== 200) return forward(res, reply);
    res.json(rewriteTarget(JSON.parse(reply.body) as Json, address(req)));
  });

  router.all(["/json/activate/:target", "/json/close/:target"], async (req, res) => {
    const action = req.path.split("/")[2];
    const target = encodeURIComponent(String(req.params.target));
    forward(
      res,
      await withBrowser(req, (b) => chromiumRequest(b.port, req.method, `/json/${action}/${target}`)),
    );
  });

  return router;
}

function envId(req: Request): string {
  return String((req.params as Record<string, string>).id);
}

function origin(req: Request): string {
  return `${req.protocol}://${req.get("host") ?? "127.0.0.1"}`;
}

function address(req: Request): BridgeAddress {
  const id = envId(req);
  const token =
    typeof req.query.token === "string" && !req.get("authorization") ? req.query.token : undefined;
  return {
    wsBase: `${req.protocol === "https" ? "wss" : "ws"}://${req.get("host") ?? "127.0.0.1"}${devtoolsBasePath(id)}`,
    browserId: stableBrowserId(id),
    // A client that authenticated with ?token= connects its WebSockets the same way.
    query: token ? `?token=${encodeURIComponent(token)}` : "",
  };
}

/** The query as sent (`/json/new?<url>` carries a raw URL), minus a `token=` parameter. */
function rawQuery(req: Request): string {
  const raw = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?") + 1) : "";
  const query = raw.replace(/(^|[&?])token=[^&]*$/, "").replace(/^token=[^&]*&/, "");
  return query ? `?${query}` : "";
}

function forward(res: Response, reply: { status: number; contentType: string; body: string }): void {
  res.status(reply.status).type(reply.contentType).send(reply.body);
}
