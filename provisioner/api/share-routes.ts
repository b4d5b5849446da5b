/**
 * `POST /v1/environments/:id/share` (token holders only, like all of /v1): share links that open
 * the environment's protected previews without the token, for people reviewing them.
 */
import { Router } from "express";
import { z } from "zod";
import { ttlSchema } from "../environments/environment-schema.ts";
import { NotFoundError } from "../errors.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { ttlSeconds } from "../orchestrator/environment-id.ts";
import type { ShareLinks } from "../proxy/share-links.ts";
import { parseRequest } from "./validate.ts";

export const shareRequestSchema = z.strictObject({
  /** The app the main `url` opens; default: the first app. */
  app: z.string().min(1).optional(),
  /** How long the links work; default PREVIEWD_SHARE_TTL (7 days), never past the environment's expiry. */
  ttl: z.union([ttlSchema.options[0], ttlSchema.options[1]]).optional(),
});

export const shareResponseSchema = z.object({
  url: z.string().describe("the share link of the app asked for (or the first app)"),
  expiresAt: z.string().nullable().describe("when the links stop working; null when previews are open"),
  apps: z.record(z.string(), z.string()).describe("a share link per app"),
});

export function shareRoutes(orchestrator: Orchestrator, links: ShareLinks): Router {
  const router = Router();

  router.post("/environments/:id/share", (req, res) => {
    const request = parseRequest(shareRequestSchema, "body", req.body ?? {});
    const env = orchestrator.get(req.params.id);
    const names = Object.keys(env.apps);
    const app = request.app ?? names[0];
    if (!app || !(app in env.apps)) {
      throw new NotFoundError(`environment ${env.id} has no app ${JSON.stringify(request.app)}`, {
        errors: [{ path: "body.app", message: `expected one of: ${names.join(", ")}` }],
      });
    }
    const ttl = request.ttl === undefined ? undefined : ttlSeconds(request.ttl);
    const apps = Object.fromEntries(
      names.map((name) => [name, links.link(env, env.apps[name]!.url, ttl)] as const),
    );
    const body: z.infer<typeof shareResponseSchema> = {
      url: apps[app]!.url,
      expiresAt: apps[app]!.expiresAt,
      apps: Object.fromEntries(Object.entries(apps).map(([name, link]) => [name, link.url])),
    };
    res.json(body);
  });

  return router;
}
