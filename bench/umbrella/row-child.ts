/**
 * Runs one row module in a process of its own (forked by run-row.ts), so a row that leaves a server,
 * a timer or an unhandled rejection behind cannot disturb the rows after it.
 * argv: <module path> [--quick]; answers over IPC with `{ figures }` or `{ error }`, then exits.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchContext, BenchFigure, BenchRow } from "../bench-table.ts";
import type { RowMessage } from "./run-row.ts";

const [modulePath, ...flags] = process.argv.slice(2);
const name = path.basename(modulePath ?? "?", ".ts");
const context: BenchContext = {
  quick: flags.includes("--quick"),
  log: (message) => process.stderr.write(`[${name}] ${message}\n`),
};

function answer(message: RowMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Figures cross JSON, so a row's mistake (NaN, missing field) shows up here rather than as a blank cell. */
function checked(figures: unknown): BenchFigure[] {
  if (!Array.isArray(figures))
    throw new TypeError(`${name}: the row returned ${typeof figures}, not an array`);
  for (const [index, figure] of (figures as BenchFigure[]).entries()) {
    if (typeof figure?.figure !== "string" || typeof figure.target !== "string")
      throw new TypeError(`${name}: figures[${index}]: expected { figure: string, target: string, … }`);
    if (typeof figure.value !== "number" || typeof figure.met !== "boolean")
      throw new TypeError(
        `${name}: figures[${index}] (${figure.figure}): expected value: number, met: boolean`,
      );
  }
  return figures as BenchFigure[];
}

process.on("unhandledRejection", (reason) => {
  void answer({ error: `unhandled rejection: ${describe(reason)}` }).then(() => process.exit(1));
});

try {
  const loaded = (await import(pathToFileURL(path.resolve(modulePath!)).href)) as { default?: unknown };
  if (typeof loaded.default !== "function")
    throw new TypeError(`${name}: expected a default export (ctx) => Promise<BenchFigure[]>`);
  const figures = checked(await (loaded.default as BenchRow)(context));
  await answer({ figures });
  process.exit(0);
} catch (error) {
  await answer({ error: describe(error) });
  process.exit(1);
}
