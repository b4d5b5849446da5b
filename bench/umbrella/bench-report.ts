/**
 * What `npm run bench` leaves behind: the table (printed, and written into BENCHMARKS.md between the
 * table markers) and bench/results.json. Rows run with `--only` replace their own entries and keep
 * the others' from the previous run, each entry saying when and how it ran.
 */
import os from "node:os";
import type { BenchFigure } from "../bench-table.ts";
import type { RowResult } from "./run-row.ts";

export const tableStart = "<!-- bench:table:start -->";
export const tableEnd = "<!-- bench:table:end -->";

export interface RowEntry extends RowResult {
  quick: boolean;
  /** 1-minute load average when the row started: a noisy machine explains a noisy figure. */
  load: number;
}

export interface BenchResults {
  date: string;
  node: string;
  cpus: number;
  memoryGiB: number;
  load: number[];
  quick: boolean;
  rows: Record<string, RowEntry>;
}

export function machine(quick: boolean): Omit<BenchResults, "rows"> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    load: os.loadavg().map((n) => Math.round(n * 100) / 100),
    quick,
  };
}

/** Earlier results that are still worth keeping: rows this run did not touch. */
export function merge(
  previous: BenchResults | undefined,
  run: Omit<BenchResults, "rows">,
  entries: RowEntry[],
): BenchResults {
  const rows: Record<string, RowEntry> = { ...(previous?.rows ?? {}) };
  for (const entry of entries) rows[entry.name] = entry;
  const sorted = Object.fromEntries(Object.entries(rows).sort(([a], [b]) => a.localeCompare(b)));
  return { ...run, rows: sorted };
}

function number(value: number): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  return value.toFixed(magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2);
}

export function withUnit(value: number, unit: string): string {
  return unit === "×" ? `${number(value)}×` : `${number(value)} ${unit}`;
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

function figureLine(row: string, figure: BenchFigure): string[] {
  const baseline = figure.baseline
    ? `${figure.baseline.label}: ${withUnit(figure.baseline.value, figure.baseline.unit)}`
    : "";
  const measured = withUnit(figure.value, figure.unit);
  return [row, figure.figure, figure.target, measured, baseline, figure.met ? "yes" : "**no**"];
}

/** The markdown table and its notes, for the terminal and for BENCHMARKS.md alike. */
export function renderTable(results: BenchResults): string {
  const lines = [["row", "figure", "target", "measured", "baseline", "met"]];
  const notes: string[] = [];
  for (const [name, entry] of Object.entries(results.rows)) {
    for (const figure of entry.figures) {
      lines.push(figureLine(name, figure));
      if (figure.note) notes.push(`- ${name}, ${figure.figure}: ${figure.note}`);
    }
    if (entry.error) {
      lines.push([name, "(the row failed)", "", "", "", "**no**"]);
      notes.push(`- ${name} failed: ${entry.error.split("\n")[0]}`);
    }
  }
  const table = lines.map((line) => `| ${line.map(cell).join(" | ")} |`);
  table.splice(1, 0, "| --- | --- | --- | ---: | --- | --- |");
  const date = results.date.slice(0, 10);
  const others = Object.values(results.rows)
    .filter((entry) => entry.startedAt.slice(0, 10) !== date || entry.quick !== results.quick)
    .map((entry) => `${entry.name} (${entry.startedAt.slice(0, 10)}${entry.quick ? ", --quick" : ""})`);
  const header =
    `\`npm run bench${results.quick ? " -- --quick" : ""}\`, ${date}, Node ${results.node}, ` +
    `${results.cpus} cores, ${results.memoryGiB} GiB, load ${results.load.join(" / ")}.` +
    (others.length > 0 ? ` Rows from other runs: ${others.join(", ")}.` : "");
  return [header, "", ...table, ...(notes.length > 0 ? ["", ...notes] : [])].join("\n");
}

/** BENCHMARKS.md with its generated section replaced, or created before the first `##` section. */
export function replaceTableSection(markdown: string, table: string): string {
  const section = `${tableStart}\n\n${table}\n\n${tableEnd}`;
  const start = markdown.indexOf(tableStart);
  const end = markdown.indexOf(tableEnd);
  if (start !== -1 && end > start) {
    return markdown.slice(0, start) + section + markdown.slice(end + tableEnd.length);
  }
  const firstSection = markdown.search(/^## /m);
  const heading = "## All figures (`npm run bench`)\n\n";
  if (firstSection === -1) return `${markdown.trimEnd()}\n\n${heading}${section}\n`;
  return `${markdown.slice(0, firstSection)}${heading}${section}\n\n${markdown.slice(firstSection)}`;
}
