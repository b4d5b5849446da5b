/**
 * Derives the shipped JSON Schema (`scenario.schema.json`) from `scenarioFileSchema`, so editors
 * can validate scenario files. Run with `npx tsx seed-scenarios/write-json-schema.ts`; a test
 * fails if the shipped file drifts.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { scenarioFileSchema } from "./scenario-schema.ts";

export const scenarioJsonSchemaPath = fileURLToPath(new URL("./scenario.schema.json", import.meta.url));

/** The scenario as written (input side): fields with defaults are optional. */
export function scenarioJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(scenarioFileSchema, { io: "input", target: "draft-2020-12" });
  return {
    $schema,
    $id: "urn:previewd:seed-scenario:v1",
    title: "previewd seed scenario (seed-scenarios/<name>.yaml)",
    description:
      "A named, reproducible data state: loading it resets every postgres service to its state right " +
      "after migrations, then runs the steps of the scenarios it extends and its own, in order. " +
      "Each step has exactly one of sql, http or command; paths are relative to the scenario file.",
    ...schema,
  };
}

export function renderScenarioJsonSchema(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeFile(scenarioJsonSchemaPath, renderScenarioJsonSchema());
}
