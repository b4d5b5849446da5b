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
    // On timeout, the same answer as without waiting, with the environment as it is now.
    const answer =
      waitMs === undefined ? environment : (await orchestrator.settle(environment.id, waitMs)).environment;
    res.status(created ? 201 : 200).json(answer);
  });

  router.get("/environments", (_req, res) => {
    res.json(orchestrator.list());
  });

  router.get("/environments/:id", async (req, res) => {
    const waitMs = parseWaitQuery(req.query);
    // With wait: once what was asked of it before (a create's provision, a redeploy) has finished.
    if (waitMs === undefined) res.json(orchestrator.get(req.params.id));
    else res.json((await orchestrator.settle(req.params.id, waitMs)).environment);
  });

  router.patch("/environments/:id", async (req, res) => {
    const patch = parseRequest(patchEnvironmentRequestSchema, "body", req.body);
    res.json(await orchestrator.patch(req.params.id, patch));
  });

  router.post("/environments/:id/redeploy", async (req, res) => {
    const waitMs = parseWaitQuery(req.query);
    const environment = await orchestrator.redeploy(req.params.id);
    if (waitMs === undefined) {
      res.status(202).json(environment);
      return;
    }
    // 200 once the redeploy is ready or failed; on timeout, 202 as without waiting.
    const { environment: answer, settled } = await orchestrator.settle(environment.id, waitMs);
    res.status(settled ? 200 : 202).json(answer);
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
