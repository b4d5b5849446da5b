/** The seed scenario part of /openapi.json, generated from the same zod schemas the routes use. */
import { loadScenarioRequestSchema, scenarioSummarySchema } from "../environments/scenario-api-schema.ts";
import { idParam, json, problem, ref, type ComponentSchemas, type PathItems } from "./openapi-parts.ts";

export const scenarioComponents: ComponentSchemas = {
  LoadScenarioRequest: { schema: loadScenarioRequestSchema, io: "input" },
  ScenarioSummary: { schema: scenarioSummarySchema, io: "output" },
};

export const scenarioPaths: PathItems = {
  "/v1/environments/{id}/scenarios": {
    get: {
      summary: "The seed scenarios of the environment's worktree",
      parameters: [idParam],
      responses: {
        "200": json(
          { type: "array", items: ref("ScenarioSummary") },
          "every scenario file, with its step count and content checksum",
        ),
        "401": problem("missing or wrong bearer token"),
        "404": problem("no such environment"),
        "409": problem("the environment has no worktree yet"),
      },
    },
  },
  "/v1/environments/{id}/scenario": {
    post: {
      summary: "Reset the environment's data and load a scenario; answers when it is loaded",
      parameters: [idParam],
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("LoadScenarioRequest") } },
      },
      responses: {
        "200": json(ref("Environment"), "loaded; `scenario` and `seed` name it"),
        "400": problem("invalid request"),
        "401": problem("missing or wrong bearer token"),
        "404": problem("no such environment or scenario"),
        "409": problem("the environment is not ready"),
        "422": problem(
          "an invalid scenario file, or a failing step (`index`, `kind`, `file`, `output`); the data is back at its reset state",
        ),
      },
    },
  },
};
