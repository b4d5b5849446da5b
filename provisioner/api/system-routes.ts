/** Unauthenticated service routes: liveness and the OpenAPI document. */
import { Router } from "express";
import { buildOpenApiDocument } from "./openapi.ts";

export function systemRoutes(options: { version: string }): Router {
  const router = Router();
  const document = buildOpenApiDocument(options);
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  return router;
}
