/** The seed scenario part of /openapi.json, generated from the same zod schemas the routes use. */
import type { z } from "zod";
import { loadScenarioRequestSchema, scenarioSummarySchema } from "../environments/scenario-api-schema.ts";

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string): Json => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});
const idParam = { name: "id", in: "path", required: true, schema: { type: "string" } };

export const scenarioComponents: Record<string, { schema: z.ZodType; io: "input" | "output" }> = {
  LoadScenarioRequest: { schema: loadScenarioRequestSchema, io: "input" },
  ScenarioSummary: { schema: scenarioSummarySchema, io: "output" },
};

export const scenarioPaths: Record<string, Record<string, Json>> = {
  "/v1/environments/{id}/scenarios": {
    get: {
      summary: "The seed scenarios of the environment's worktree",
      parameters: [idParam],
      responses: {
        "200": {
          description: "every scenario file, with its step count and content checksum",
          content: { "application/json": { schema: { type: "array", items: ref("ScenarioSummary") } } },
        },
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
        "200": {
          description: "loaded; `scenario` and `seed` name it",
          content: { "application/json": { schema: ref("Environment") } },
        },
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
