/** Seed scenarios of an environment (SPEC "HTTP API"): list them, or reset the data and load one. */
import { Router } from "express";
import { loadScenarioRequestSchema } from "../environments/scenario-api-schema.ts";
import type { ScenarioService } from "../orchestrator/scenario-service.ts";
import { parseRequest } from "./validate.ts";

export function scenarioRoutes(scenarios: ScenarioService): Router {
  const router = Router();

  router.get("/environments/:id/scenarios", async (req, res) => {
    res.json(await scenarios.listScenarios(req.params.id));
  });

  // Answers once the scenario is loaded: an agent's next request sees the new data.
  router.post("/environments/:id/scenario", async (req, res) => {
    const { name } = parseRequest(loadScenarioRequestSchema, "body", req.body);
    res.json(await scenarios.loadScenario(req.params.id, name));
  });

  return router;
}
