/** CRUD for environments (SPEC "HTTP API"): each route validates, calls the orchestrator, and answers. */
import { Router } from "express";
import {
  createEnvironmentRequestSchema,
  patchEnvironmentRequestSchema,
} from "../environments/environment-schema.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { parseRequest } from "./validate.ts";
import { parseWaitQuery } from "./wait-query.ts";

export function environmentRoutes(orchestrator: Orchestrator): Router {
  const router = Router();

  router.post("/environments", async (req, res) => {
    const waitMs = parseWaitQuery(req.query);
    const request = parseRequest(createEnvironmentRequestSchema, "body", req.body);
    const { environment, created } = await orchestrator.create(request);
    const answer =
      waitMs === undefined
        ? environment
        : await orchestrator.waitFor(environment.id, ["ready", "failed"], waitMs);
    res.status(created ? 201 : 200).json(answer);
  });

  router.get("/environments", (_req, res) => {
    res.json(orchestrator.list());
  });

  router.get("/environments/:id", (req, res) => {
    res.json(orchestrator.get(req.params.id));
  });

  router.patch("/environments/:id", async (req, res) => {
    const patch = parseRequest(patchEnvironmentRequestSchema, "body", req.body);
    res.json(await orchestrator.patch(req.params.id, patch));
  });

  router.post("/environments/:id/redeploy", async (req, res) => {
    res.status(202).json(await orchestrator.redeploy(req.params.id));
  });

  router.delete("/environments/:id", async (req, res) => {
    const waitMs = parseWaitQuery(req.query);
    const environment = await orchestrator.delete(req.params.id);
    if (waitMs === undefined) {
      res.status(202).json(environment);
      return;
    }
    await orchestrator.waitForDeletion(environment.id, waitMs);
    res.status(204).end();
  });

  return router;
}
