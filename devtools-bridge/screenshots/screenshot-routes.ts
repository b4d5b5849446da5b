/**
 * `/v1/environments/:id/screenshots`: take one (POST → 201) or store a client's PNG (POST with
 * `Content-Type: image/png`, screenshot-upload.ts), list them, fetch a PNG. Mounted with
 * `mergeParams`, behind the /v1 token check.
 */
import express, { Router, type Request } from "express";
import { parseRequest } from "../../provisioner/api/validate.ts";
import type { BridgeContext } from "../bridge-context.ts";
import { captureScreenshot } from "./capture-screenshot.ts";
import { DEFAULT_VIEWPORT, resolvePageUrl, screenshotRequestSchema } from "./screenshot-request.ts";
import type { ScreenshotRecord, ScreenshotStore } from "./screenshot-store.ts";
import { MAX_UPLOAD_BYTES, parseUpload } from "./screenshot-upload.ts";

export function screenshotRoutes(context: BridgeContext, store: ScreenshotStore): Router {
  const router = Router({ mergeParams: true });

  router.post("/", express.raw({ type: "image/png", limit: MAX_UPLOAD_BYTES }), async (req, res, next) => {
    if (!req.is("image/png")) return next();
    const id = envId(req);
    context.requireEnvironment(id);
    const { png, ...meta } = parseUpload(req);
    const record = await store.save(id, png, { ...meta, consoleErrors: [] });
    res
      .status(201)
      .location(pngUrl(req, id, record.id))
      .json(view(req, id, record));
  });

  router.post("/", async (req, res) => {
    const id = envId(req);
    const previewUrls = context.requireEnvironment(id);
    const request = parseRequest(screenshotRequestSchema, "body", req.body ?? {});
    const pageUrl = resolvePageUrl(request, previewUrls);
    const lease = await context.pool.acquire(id);
    try {
      const shot = await captureScreenshot(lease.browser, {
        url: pageUrl,
        width: request.width ?? DEFAULT_VIEWPORT.width,
        height: request.height ?? DEFAULT_VIEWPORT.height,
        fullPage: request.fullPage ?? false,
        waitFor: request.waitFor ?? "load",
        timeoutMs:
          request.timeout !== undefined
            ? Math.round(request.timeout * 1000)
            : context.config.navigationTimeoutMs,
      });
      const record = await store.save(id, shot.png, {
        pageUrl,
        width: shot.width,
        height: shot.height,
        consoleErrors: shot.consoleErrors,
      });
      res
        .status(201)
        .location(pngUrl(req, id, record.id))
        .json(view(req, id, record));
    } finally {
      lease.release();
    }
  });

  router.get("/", async (req, res) => {
    const id = envId(req);
    context.requireEnvironment(id);
    res.json((await store.list(id)).map((record) => view(req, id, record)));
  });

  router.get("/:sid.png", async (req, res) => {
    const id = envId(req);
    context.requireEnvironment(id);
    const png = await store.read(id, String(req.params.sid));
    res.type("image/png").set("Cache-Control", "private, max-age=31536000, immutable").send(png);
  });

  return router;
}

function envId(req: Request): string {
  return String((req.params as Record<string, string>).id);
}

function pngUrl(req: Request, envId: string, sid: string): string {
  return `${req.protocol}://${req.get("host") ?? "127.0.0.1"}/v1/environments/${encodeURIComponent(envId)}/screenshots/${sid}.png`;
}

/** `url` is where the PNG is served; `pageUrl` the page it shows. */
function view(req: Request, envId: string, record: ScreenshotRecord): Record<string, unknown> {
  return { ...record, url: pngUrl(req, envId, record.id) };
}
