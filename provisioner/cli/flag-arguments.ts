/** `key=value` arguments of `previewd flags`, each value read as its flag's declared type. */
import type { FlagValue } from "../environments/environment-schema.ts";
import { ValidationError, type FieldError } from "../errors.ts";
import type { FlagDetails } from "../flags/flag-values.ts";

const booleans: Record<string, boolean> = {
  true: true,
  false: false,
  on: true,
  off: false,
  yes: true,
  no: false,
  "1": true,
  "0": false,
};

export function parseFlagArguments(
  args: string[],
  declared: Record<string, FlagDetails>,
): Record<string, FlagValue> {
  const values: Record<string, FlagValue> = {};
  const errors: FieldError[] = [];
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      errors.push({ path: arg, message: "expected key=value" });
      continue;
    }
    const key = arg.slice(0, eq);
    const text = arg.slice(eq + 1);
    const flag = declared[key];
    if (!flag) {
      errors.push({
        path: key,
        message: `unknown flag; declared flags: ${Object.keys(declared).join(", ") || "none"}`,
      });
    } else if (flag.type === "boolean") {
      const value = booleans[text.toLowerCase()];
      if (value === undefined)
        errors.push({ path: key, message: `expected true or false (got ${JSON.stringify(text)})` });
      else values[key] = value;
    } else if (flag.type === "number") {
      const value = Number(text);
      if (text.trim() === "" || !Number.isFinite(value))
        errors.push({ path: key, message: `expected a number (got ${JSON.stringify(text)})` });
      else values[key] = value;
    } else {
      values[key] = text;
    }
  }
  if (errors.length) throw new ValidationError("invalid flag arguments", { errors });
  return values;
}

export function formatFlags(flags: Record<string, FlagDetails>): string[] {
  const width = Math.max(4, ...Object.keys(flags).map((key) => key.length));
  return Object.entries(flags).map(([key, flag]) => {
    const changed = flag.value === flag.default ? "" : `  (default ${JSON.stringify(flag.default)})`;
    return `${key.padEnd(width)}  ${flag.type.padEnd(7)}  ${JSON.stringify(flag.value)}${changed}`;
  });
}
