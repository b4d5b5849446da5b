/** The HTTP contract for seed scenarios (SPEC: `GET …/scenarios`, `POST …/scenario {name}`). */
import { z } from "zod";

export const loadScenarioRequestSchema = z.strictObject({
  name: z.string().min(1).max(100).describe("a scenario file's name without .yaml"),
});
export type LoadScenarioRequest = z.infer<typeof loadScenarioRequestSchema>;

export const scenarioSummarySchema = z.object({
  name: z.string(),
  description: z.string(),
  extends: z.string().nullable(),
  /** Steps of the whole run, extended scenarios' included. */
  steps: z.number().int(),
  checksum: z
    .string()
    .nullable()
    .describe("sha256 over the scenario, what it extends and the files they reference"),
  /** Why the scenario cannot be loaded (an invalid file), else null. */
  error: z.string().nullable(),
});
export type ScenarioSummary = z.infer<typeof scenarioSummarySchema>;
