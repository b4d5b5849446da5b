/**
 * `POST /v1/environments/:id/devtools/reset`: the environment's browser as new, with no pages,
 * cookies, storage or history. DevTools has no command that clears history (visited links) or the
 * storage of every origin, and a browser's user-data-dir lives only as long as the browser, so
 * the bridge stops the browser: the next use starts a fresh one behind the same URLs. Clients still
 * connected are disconnected and reconnect the way they connected. Mounted with `mergeParams`
 * under `/v1/environments/:id/devtools`, behind the /v1 token check.
 */
import { Router } from "express";
import type { BridgeContext } from "../bridge-context.ts";
import { chromiumJson } from "../cdp/chromium-http.ts";
import { listedTargets } from "../cdp/target-rewrite.ts";

export interface ResetResult {
  /** The pages that were open (what `/json/list` showed). */
  closedPages: { id: string; url: string }[];
  /** Client connections that were open and are now closed. */
  disconnectedClients: number;
  /** False: there was no browser running, so nothing to clear (the next one starts fresh anyway). */
  wasRunning: boolean;
}

export function resetRoute(context: BridgeContext): Router {
  const router = Router({ mergeParams: true });
  router.post("/reset", async (req, res) => {
    const envId = String((req.params as Record<string, string>).id);
    context.requireEnvironment(envId);
    const browser = context.pool.running(envId);
    if (!browser) {
      res.json({ closedPages: [], disconnectedClients: 0, wasRunning: false } satisfies ResetResult);
      return;
    }
    const pages = await chromiumJson<Record<string, unknown>[]>(browser.port, "GET", "/json/list")
      .then((targets) => listedTargets(targets, browser.internalTargets))
      .catch(() => []);
    const disconnectedClients = browser.clients.connections;
    await context.pool.stop(envId);
    context.logger.info({ env: envId, pages: pages.length, clients: disconnectedClients }, "browser reset");
    res.json({
      closedPages: pages.map((page) => ({ id: String(page.id), url: String(page.url) })),
      disconnectedClients,
      wasRunning: true,
    } satisfies ResetResult);
  });
  return router;
}
