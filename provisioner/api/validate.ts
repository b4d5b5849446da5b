/**
 * Request validation with zod: failures become a ValidationError with field paths. Body fields
 * are named as they are (`ref`, `flags.x`), like the orchestrator's own checks; query and
 * route parameters carry their part (`query.timeout`).
 */
import type { z } from "zod";
import { type FieldError, ValidationError } from "../errors.ts";

export type RequestPart = "body" | "query" | "params";

export function parseRequest<S extends z.ZodType>(schema: S, part: RequestPart, value: unknown): z.output<S> {
  // express.json() leaves the body undefined when the request is not JSON (a form, no Content-Type).
  if (part === "body" && value === undefined && !schema.safeParse(undefined).success) {
    throw new ValidationError("expected a JSON body (Content-Type: application/json)", {
      errors: [{ path: "body", message: "expected a JSON object sent as application/json" }],
    });
  }
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const errors = result.error.issues.flatMap((issue) => toFieldErrors(part, issue));
  // The message names the first few; `errors` lists them all (capped at the edge, api/problem.ts).
  const named = errors.slice(0, 5).map(describe).join("; ");
  const more = errors.length > 5 ? `; and ${errors.length - 5} more` : "";
  throw new ValidationError(`invalid request ${part}: ${named}${more}`, { errors });
}

function toFieldErrors(part: RequestPart, issue: z.core.$ZodIssue): FieldError[] {
  const segments = [...(part === "body" ? [] : [part]), ...issue.path.map(String)];
  const base = segments.join(".") || part;
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...segments, key].join("."), message: "unknown field" }));
  }
  const received = "input" in issue && issue.input !== undefined ? ` (got ${preview(issue.input)})` : "";
  return [{ path: base, message: `${issue.message}${received}` }];
}

function preview(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

function describe(error: FieldError): string {
  return `${error.path}: ${error.message}`;
}
