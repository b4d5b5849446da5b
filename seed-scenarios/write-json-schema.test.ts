import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { renderScenarioJsonSchema, scenarioJsonSchemaPath } from "./write-json-schema.ts";

describe("scenario.schema.json", () => {
  it("is up to date with the zod schema (run `npx tsx seed-scenarios/write-json-schema.ts`)", async () => {
    expect(await readFile(scenarioJsonSchemaPath, "utf8")).toBe(renderScenarioJsonSchema());
  });

  it("describes the scenario fields and the three step kinds", () => {
    const schema = JSON.parse(renderScenarioJsonSchema()) as {
      $schema: string;
      properties: Record<string, { items?: { properties?: Record<string, unknown> } }>;
    };
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(Object.keys(schema.properties)).toEqual(["description", "extends", "flags", "steps"]);
    expect(Object.keys(schema.properties.steps?.items?.properties ?? {})).toEqual(["sql", "http", "command"]);
  });
});
