/** Runs the CLI: errors are printed as `error: …` (with field errors), never as a stack, and exit 1. */
import { createProgram } from "./program.ts";
import { formatError } from "./print-error.ts";

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  for (const line of formatError(error)) console.error(line);
  process.exitCode = 1;
}
