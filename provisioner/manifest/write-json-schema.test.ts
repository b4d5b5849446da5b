import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { jsonSchemaPath, renderJsonSchema } from "./write-json-schema.ts";
import { specExampleManifest } from "./spec-example-fixture.ts";

type JsonSchema = {
  type?: string;
  const?: unknown;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | false;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
};

/** A small structural check (types, required, unknown keys, const, pattern): enough to catch a schema that no longer fits. */
function problems(schema: JsonSchema, value: unknown, path = "$"): string[] {
  if (schema.oneOf)
    return schema.oneOf.some((s) => problems(s, value, path).length === 0)
      ? []
      : [`${path}: no oneOf matches`];
  if (schema.const !== undefined && schema.const !== value)
    return [`${path}: expected ${String(schema.const)}`];
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  const typeOk =
    !schema.type ||
    schema.type === type ||
    (schema.type === "integer" && Number.isInteger(value)) ||
    (schema.type === "number" && type === "number");
  if (!typeOk) return [`${path}: expected ${schema.type}, got ${type}`];
  if (typeof value === "string" && schema.pattern && !new RegExp(schema.pattern, "u").test(value)) {
    return [`${path}: does not match ${schema.pattern}`];
  }
  if (Array.isArray(value) && schema.items)
    return value.flatMap((v, i) => problems(schema.items!, v, `${path}[${i}]`));
  if (type !== "object") return [];
  const record = value as Record<string, unknown>;
  const out = (schema.required ?? []).filter((k) => !(k in record)).map((k) => `${path}.${k}: required`);
  for (const [key, child] of Object.entries(record)) {
    if (schema.propertyNames) out.push(...problems(schema.propertyNames, key, `${path}.${key} (name)`));
    const sub = schema.properties?.[key] ?? schema.additionalProperties;
    if (sub === false) out.push(`${path}.${key}: not allowed`);
    else if (sub) out.push(...problems(sub, child, `${path}.${key}`));
  }
  return out;
}

describe("preview.schema.json", () => {
  it("is up to date with the zod schema (run `npm run schema`)", async () => {
    expect(await readFile(jsonSchemaPath, "utf8")).toBe(renderJsonSchema());
  });

  it("describes the manifest", () => {
    const schema = JSON.parse(renderJsonSchema()) as JsonSchema & Record<string, unknown>;
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBeTruthy();
    expect(schema.title).toContain("preview.yaml");
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(["version", "name", "services", "apps", "flags", "seed"]),
    );
    // Input side: defaults make fields optional.
    expect(schema.required).toEqual(["version", "apps"]);
  });

  it("accepts the SPEC example and rejects a broken copy", () => {
    const schema = JSON.parse(renderJsonSchema()) as JsonSchema;
    const example = parse(specExampleManifest) as Record<string, Record<string, Record<string, unknown>>>;
    expect(problems(schema, example)).toEqual([]);
    const broken = structuredClone(example);
    broken.apps!.api!.helth = "/x";
    broken.flags!["page-size"]!.type = "integer";
    expect(problems(schema, broken)).toEqual([
      "$.apps.api.helth: not allowed",
      "$.flags.page-size: no oneOf matches",
    ]);
  });
});
