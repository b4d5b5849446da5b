/**
 * Turns zod issues into manifest field errors a person can act on: the path, what was
 * expected and what was found (`expected a path starting with "/" (got "healthz")`).
 * zod's own messages and JSON never reach the user.
 */
import { z } from "zod";
import type { FieldError } from "../errors.ts";
import { formatPath } from "./field-path.ts";

type Issue = z.core.$ZodIssue;

/**
 * Parse-level error map: zod uses it only where the schema sets no message of its own, so
 * the schema's wording (`expected a lowercase name …`) wins and everything else reads alike.
 */
export const manifestErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${typeName(issue.expected)}`;
    case "invalid_value":
      return `expected ${oneOf(issue.values.map((v) => JSON.stringify(v)))}`;
    case "too_small":
      return `expected ${bound(issue.origin, "at least", issue.minimum, issue.inclusive !== false)}`;
    case "too_big":
      return `expected ${bound(issue.origin, "at most", issue.maximum, issue.inclusive !== false)}`;
    case "invalid_format":
      return issue.format === "regex"
        ? `expected a string matching ${issue.pattern}`
        : `expected a ${issue.format}`;
    case "not_multiple_of":
      return `expected a multiple of ${issue.divisor}`;
    case "invalid_union":
      // A discriminated union reports the tags it accepts (e.g. a flag's `type`).
      return "options" in issue && Array.isArray(issue.options)
        ? `expected ${oneOf(issue.options.map((v: unknown) => JSON.stringify(v)))}`
        : "expected one of the allowed forms";
    case "unrecognized_keys":
      return "unknown field";
    default:
      return "invalid value";
  }
};

/**
 * One FieldError per problem. `input` is the parsed YAML (before defaults), so "got" shows
 * what the user wrote; `schema` lets an unknown field list the fields that are allowed.
 */
export function schemaErrors(issues: readonly Issue[], input: unknown, schema: z.ZodType): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    if (issue.code === "unrecognized_keys") {
      const known = knownFields(schema, issue.path, input);
      const hint = known ? ` (expected one of: ${known.join(", ")})` : "";
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key]),
        message: `unknown field${hint}`,
      }));
    }
    const path = formatPath(issue.path);
    if (issue.code === "invalid_key") {
      // The record key itself is wrong: say what the key should look like.
      const message = issue.issues[0]?.message ?? "invalid name";
      const key = issue.path[issue.path.length - 1];
      return [{ path, message: `${message} (got ${describeValue(String(key))})` }];
    }
    const found = valueAt(input, issue.path);
    const stringExpected = issue.code === "invalid_type" && issue.expected === "string";
    return [{ path, message: `${issue.message} ${gotClause(found, stringExpected)}` }];
  });
}

function gotClause(found: { present: boolean; value?: unknown }, stringExpected: boolean): string {
  if (!found.present) return "(missing)";
  const value = found.value;
  // A common slip in env blocks: `PORT_HINT: 3000` is a number in YAML, not a string.
  if (stringExpected && (typeof value === "number" || typeof value === "boolean")) {
    return `(got ${String(value)}, a ${typeof value}; quote it if a string is meant)`;
  }
  return `(got ${describeValue(value)})`;
}

/** A short description of a YAML value for error messages. Never dumps a whole mapping. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (typeof value === "string") {
    const text = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(text);
  }
  if (typeof value !== "object") return String(value);
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (ArrayBuffer.isView(value)) return "binary data";
  const keys = Object.keys(value);
  if (keys.length === 0) return "an empty mapping";
  const shown = keys.slice(0, 5).join(", ") + (keys.length > 5 ? ", ..." : "");
  return `a mapping with ${shown}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
  let current = input;
  for (const segment of path) {
    if (current === null || typeof current !== "object" || !Object.hasOwn(current, segment)) {
      return { present: false };
    }
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return { present: true, value: current };
}

/** The field names an object schema allows at `path`, or undefined if the schema is not an object there. */
function knownFields(schema: z.ZodType, path: readonly PropertyKey[], input: unknown): string[] | undefined {
  const target = schemaAt(schema, path, valueAt(input, path).value);
  return target ? Object.keys(target.shape) : undefined;
}

function schemaAt(
  schema: z.ZodType,
  path: readonly PropertyKey[],
  valueThere: unknown,
): z.ZodObject | undefined {
  const [head, ...rest] = path;
  const inner = unwrap(schema, head === undefined ? valueThere : undefined);
  if (head === undefined) return inner instanceof z.ZodObject ? inner : undefined;
  let child: z.ZodType | undefined;
  if (inner instanceof z.ZodObject) child = inner.shape[String(head)] as z.ZodType | undefined;
  else if (inner instanceof z.ZodRecord) child = inner.valueType as z.ZodType;
  else if (inner instanceof z.ZodArray) child = inner.element as z.ZodType;
  return child ? schemaAt(child, rest, valueThere) : undefined;
}

/** Looks through optional/default wrappers, and picks a discriminated union's option by the value's tag. */
function unwrap(schema: z.ZodType, value: unknown): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault || schema instanceof z.ZodNullable) {
    return unwrap(schema.unwrap() as z.ZodType, value);
  }
  if (schema instanceof z.ZodDiscriminatedUnion && value !== null && typeof value === "object") {
    const key = schema.def.discriminator;
    const tag = (value as Record<string, unknown>)[key];
    const options = schema.options as z.ZodType[];
    const match = options.find((option) => {
      const literal = option instanceof z.ZodObject ? option.shape[key] : undefined;
      return literal instanceof z.ZodLiteral && literal.values.has(tag as z.core.util.Literal);
    });
    return match ?? schema;
  }
  return schema;
}

function typeName(expected: string): string {
  const names: Record<string, string> = {
    string: "a string",
    number: "a number",
    int: "an integer",
    boolean: "true or false",
    object: "a mapping",
    record: "a mapping",
    map: "a mapping",
    array: "a list",
  };
  return names[expected] ?? expected;
}

function oneOf(options: string[]): string {
  if (options.length <= 1) return options[0] ?? "nothing";
  return `one of ${options.join(", ")}`;
}

function bound(origin: string, word: string, limit: number | bigint, inclusive: boolean): string {
  const n = Number(limit);
  if (origin === "string") {
    return word === "at least" && n === 1 ? "a non-empty string" : `a string of ${word} ${n} characters`;
  }
  if (origin === "array" || origin === "set") return `${word} ${n} items`;
  const op = word === "at least" ? (inclusive ? ">=" : ">") : inclusive ? "<=" : "<";
  return `a number ${op} ${n}`;
}
