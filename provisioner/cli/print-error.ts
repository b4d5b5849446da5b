/** Turns any error into the lines the CLI prints: `error: <detail>`, field errors, log tails; never a stack. */
import { isPreviewdError } from "../errors.ts";
import { ApiProblemError } from "./client-errors.ts";

export function formatError(error: unknown): string[] {
  if (!(error instanceof Error)) return [`error: ${String(error)}`];
  if (!isPreviewdError(error)) return [`error: ${error.message}`];
  const lines = [`error: ${error.message}`];
  for (const field of error.errors ?? []) lines.push(`  ${field.path}: ${field.message}`);
  const logTail = error instanceof ApiProblemError ? error.problem.logTail : undefined;
  if (Array.isArray(logTail)) lines.push(...logTail.map((line) => `  | ${String(line)}`));
  return lines;
}
