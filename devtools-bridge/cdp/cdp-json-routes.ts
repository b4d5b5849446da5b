/**
 * The bridge's CDP HTTP endpoints: Chromium's own `/json/*`, answered by the environment's
 * browser (started on demand) with every URL pointing back at the bridge. Mounted under
 * `/v1/environments/:id/devtools` (with `mergeParams`, behind the /v1 token check) and at the
 * root of each environment's browserUrl listener (browser-url/); a `CdpMount` says which.
 */
import { Router, type Request, type Response } from "express";
import type { BridgeContext } from "../bridge-context.ts";
import { devtoolsBasePath, stableBrowserId } from "../devtools-endpoints.ts";
import type { ManagedBrowser } from "../managed-browser.ts";
import { chromiumJson, chromiumRequest } from "./chromium-http.ts";
import { listedTargets, rewriteTarget, rewriteVersion, type BridgeAddress } from "./target-rewrite.ts";

type Json = Record<string, unknown>;

/** Where a request's environment comes from, and where the WebSockets in answers point. */
export interface CdpMount {
  envId(req: Request): string;
  /** The path in front of `/devtools/<type>/<id>` on the host the client used ("" at the root). */
  prefix(envId: string): string;
}

export const prefixedMount: CdpMount = {
  envId: (req) => String((req.params as Record<string, string>).id),
  prefix: (envId) => devtoolsBasePath(envId).replace(/\/devtools$/, ""),
};

export function rootMount(envId: string): CdpMount {
  return { envId: () => envId, prefix: () => "" };
}

export function cdpJsonRoutes(context: BridgeContext, mount: CdpMount): Router {
  const router = Router({ mergeParams: true });

  /**
   * Runs `work` on the environment's browser, holding it (so it is not stopped as idle)
   * meanwhile, once the pages of clients that have just left are closed.
   */
  const withBrowser = async <T>(req: Request, work: (browser: ManagedBrowser) => Promise<T>): Promise<T> => {
    const id = mount.envId(req);
    context.requireEnvironment(id);
    const lease = await context.pool.acquire(id);
    try {
      await lease.browser.clients.settle();
      return await work(lease.browser);
    } finally {
      lease.release();
    }
  };
  const address = (req: Request) => bridgeAddress(req, mount);

  router.get("/json/version", async (req, res) => {
    const version = await withBrowser(req, (b) => chromiumJson<Json>(b.port, "GET", "/json/version"));
    res.json(rewriteVersion(version, address(req)));
  });

  // Pages only: never the browser's own UI targets, service workers or the bridge's screenshot windows.
  router.get(["/json", "/json/list"], async (req, res) => {
    const targets = await withBrowser(req, async (b) =>
      listedTargets(await chromiumJson<Json[]>(b.port, "GET", "/json/list"), b.internalTargets),
    );
    const bridge = address(req);
    res.json(targets.map((target) => rewriteTarget(target, bridge)));
  });

  router.get("/json/protocol", async (req, res) => {
    context.requireEnvironment(mount.envId(req));
    res.type("application/json").send(await context.protocol());
  });

  // Chromium only accepts PUT here (GET is refused as unsafe); its answer is passed on as it is.
  router.all("/json/new", async (req, res) => {
    const { reply, created } = await withBrowser(req, async (b) => {
      const reply = await chromiumRequest(b.port, req.method, `/json/new${rawQuery(req)}`);
      if (reply.status !== 200) return { reply };
      const created = JSON.parse(reply.body) as Json;
      if (typeof created.id === "string") b.clients.openedOverHttp(created.id);
      return { reply, created };
    });
    if (!created) return forward(res, reply);
    res.json(rewriteTarget(created, address(req)));
  });

  router.all(["/json/activate/:target", "/json/close/:target"], async (req, res) => {
    const action = req.path.split("/")[2];
    const target = String(req.params.target);
    const reply = await withBrowser(req, async (b) => {
      const ask = () => chromiumRequest(b.port, req.method, `/json/${action}/${encodeURIComponent(target)}`);
      if (action !== "close") return ask();
      // Answered once the page is gone, so a list right after no longer shows it.
      const answer = await b.clients.closeAndWait(target, ask, (reply) => reply.status === 200);
      // A client closing its page after leaving: the bridge closed it already, as Chromium would now.
      if (answer.status === 404 && b.clients.closedForClient(target))
        return { status: 200, contentType: "text/plain", body: "Target is closing" };
      return answer;
    });
    forward(res, reply);
  });

  return router;
}

function bridgeAddress(req: Request, mount: CdpMount): BridgeAddress {
  const id = mount.envId(req);
  const token =
    typeof req.query.token === "string" && !req.get("authorization") ? req.query.token : undefined;
  return {
    wsBase: `${req.protocol === "https" ? "wss" : "ws"}://${req.get("host") ?? "127.0.0.1"}${mount.prefix(id)}/devtools`,
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
