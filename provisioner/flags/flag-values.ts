/** Flag values as the API shows them, and the checks a write must pass before it is made. */
import type { FlagValue } from "../environments/environment-schema.ts";
import type { FieldError } from "../errors.ts";
import type { FlagSpec } from "../manifest/manifest-schema.ts";
import type { EnvironmentFlags } from "./flag-source.ts";

export interface FlagDetails {
  type: FlagSpec["type"];
  value: FlagValue;
  default: FlagValue;
  description?: string;
}

export function flagDetails({ declared, values }: EnvironmentFlags, key: string): FlagDetails | undefined {
  const spec = declared[key];
  if (!spec) return undefined;
  return {
    type: spec.type,
    value: values[key] ?? spec.default,
    default: spec.default,
    ...(spec.description !== undefined && { description: spec.description }),
  };
}

export function allFlagDetails(flags: EnvironmentFlags): Record<string, FlagDetails> {
  return Object.fromEntries(Object.keys(flags.declared).map((key) => [key, flagDetails(flags, key)!]));
}

export interface FlagWriteProblems {
  unknown: FieldError[];
  wrongType: FieldError[];
}

/** `pathOf(key)` names the field in errors (`value` for a single-flag PUT, the key for a PATCH). */
export function checkFlagWrite(
  declared: Record<string, FlagSpec>,
  values: Record<string, FlagValue>,
  pathOf: (key: string) => string = (key) => key,
): FlagWriteProblems {
  const problems: FlagWriteProblems = { unknown: [], wrongType: [] };
  const known = Object.keys(declared).join(", ") || "none";
  for (const [key, value] of Object.entries(values)) {
    const spec = declared[key];
    if (!spec)
      problems.unknown.push({ path: pathOf(key), message: `unknown flag ${key}; declared flags: ${known}` });
    else if (typeof value !== spec.type)
      problems.wrongType.push({
        path: pathOf(key),
        message: `flag ${key} is a ${spec.type} (got ${JSON.stringify(value)})`,
      });
  }
  return problems;
}
