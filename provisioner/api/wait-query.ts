/** `?wait=true&timeout=<seconds>` shared by the routes that can answer once an operation settles. */
import { z } from "zod";
import { parseRequest } from "./validate.ts";

export const DEFAULT_WAIT_SECONDS = 600;
export const MAX_WAIT_SECONDS = 3600;

export const waitQuerySchema = z.object({
  wait: z.enum(["true", "false", "1", "0"]).optional(),
  timeout: z
    .string()
    .regex(/^\d+$/, "expected a whole number of seconds")
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_WAIT_SECONDS))
    .optional(),
});

/** The wait deadline in milliseconds, or undefined when the caller does not want to wait. */
export function parseWaitQuery(query: unknown): number | undefined {
  const { wait, timeout } = parseRequest(waitQuerySchema, "query", pick(query, ["wait", "timeout"]));
  if (wait !== "true" && wait !== "1") return undefined;
  return (timeout ?? DEFAULT_WAIT_SECONDS) * 1000;
}

// Other query parameters are not ours to reject.
function pick(query: unknown, keys: string[]): Record<string, unknown> {
  const source = (query ?? {}) as Record<string, unknown>;
  return Object.fromEntries(keys.filter((key) => source[key] !== undefined).map((key) => [key, source[key]]));
}
