/**
 * `npm run bench [-- --quick] [--only proxy,density]`: runs every row module in bench/rows/*.ts
 * (sorted by name), each in a process of its own, prints the table, writes bench/results.json and the
 * table section of BENCHMARKS.md. Exits non-zero if a row threw (a missed target is a figure, not a
 * failure). `--no-write` only prints; `--timeout <minutes>` bounds each row (default 60, quick 15).
 */
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import path from "node:path";
import os from "node:os";
import * as prettier from "prettier";
import { writeFileAtomic } from "../provisioner/atomic-file.ts";
import {
  machine,
  merge,
  renderTable,
  replaceTableSection,
  type BenchResults,
} from "./umbrella/bench-report.ts";
import { runRow, type RowResult } from "./umbrella/run-row.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const rowsDir = path.join(benchDir, "rows");
const resultsFile = path.join(benchDir, "results.json");
const benchmarksFile = path.join(benchDir, "..", "BENCHMARKS.md");

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
    "no-write": { type: "boolean", default: false },
    timeout: { type: "string" },
  },
});
const quick = values.quick;

const available = (await readdir(rowsDir).catch(() => [] as string[]))
  .filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && !file.endsWith(".d.ts"))
  .map((file) => path.basename(file, ".ts"))
  .sort();
const asked = (values.only ?? []).flatMap((list) => list.split(",")).filter(Boolean);
const unknown = asked.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`--only: no row named ${unknown.join(", ")}; the rows are: ${available.join(", ")}`);
  process.exit(2);
}
const chosen = asked.length > 0 ? available.filter((name) => asked.includes(name)) : available;
const timeoutMinutes = Number(values.timeout ?? (quick ? 15 : 60));
if (!(timeoutMinutes > 0)) {
  console.error(`--timeout: expected minutes > 0, got ${values.timeout}`);
  process.exit(2);
}

const run = machine(quick);
const entries = [];
for (const name of chosen) {
  console.error(`bench: ${name}${quick ? " (quick)" : ""}…`);
  const load = Math.round(os.loadavg()[0]! * 100) / 100;
  const result: RowResult = await runRow(
    name,
    path.join(rowsDir, `${name}.ts`),
    quick,
    timeoutMinutes * 60_000,
  );
  if (result.error) console.error(`bench: ${name} failed: ${result.error}`);
  entries.push({ ...result, quick, load });
}

async function previousResults(): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await readFile(resultsFile, "utf8")) as BenchResults;
  } catch {
    return undefined; // none yet, or unreadable: this run starts the file afresh
  }
}

const results = merge(asked.length > 0 ? await previousResults() : undefined, run, entries);
const table = renderTable(results);
console.log(await prettier.format(table, { parser: "markdown", proseWrap: "preserve" }));
if (!values["no-write"]) {
  const options = (await prettier.resolveConfig(benchmarksFile)) ?? {};
  const markdown = replaceTableSection(await readFile(benchmarksFile, "utf8"), table);
  // Formatted as the repository's prettier would, so `npm run lint` passes on a fresh run's output.
  const json = await prettier.format(JSON.stringify(results), { ...options, parser: "json" });
  await writeFileAtomic(resultsFile, json, { mode: 0o644 });
  await writeFileAtomic(
    benchmarksFile,
    await prettier.format(markdown, { ...options, parser: "markdown", proseWrap: "preserve" }),
    { mode: 0o644 },
  );
  console.error(`bench: wrote ${path.relative(process.cwd(), resultsFile)} and the table in BENCHMARKS.md`);
}
process.exit(entries.some((entry) => entry.error) ? 1 : 0);
