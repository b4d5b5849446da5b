/** Builders for the OpenAPI document's pieces, shared by openapi.ts and every `*-openapi.ts` part. */
import { z } from "zod";

export type Json = Record<string, unknown>;

/** Zod schemas published under `#/components/schemas/<name>`; `io` picks the request or response shape. */
export type ComponentSchemas = Record<string, { schema: z.ZodType; io: "input" | "output" }>;

/** Path items by route: `{ "/v1/…": { get: {…}, post: {…} } }`. */
export type PathItems = Record<string, Record<string, Json>>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

export const json = (schema: Json, description: string): Json => ({
  description,
  content: { "application/json": { schema } },
});

export const problem = (description: string): Json => ({
  description,
  content: { "application/problem+json": { schema: ref("Problem") } },
});

export const pathParam = (name: string): Json => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string" },
});

export const idParam = pathParam("id");

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect, which the document declares once). */
export function jsonSchema(schema: z.ZodType, io: "input" | "output" = "output"): Json {
  const converted: Json = z.toJSONSchema(schema, { io, target: "draft-2020-12" });
  delete converted.$schema;
  return converted;
}
