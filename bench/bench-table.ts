/**
 * The contract between `npm run bench` (bench/run.ts) and the benchmark rows in bench/rows/*.ts.
 * Each row module's default export measures one or more figures against a baseline run in the same
 * process and returns them; the umbrella runs every module found in bench/rows/, prints the table,
 * writes it into BENCHMARKS.md between the table markers and the raw figures to bench/results.json.
 */
export interface BenchContext {
  /** `--quick`: fewer rounds and smaller loads, for a short check that every row still runs. */
  quick: boolean;
  /** Progress for the person watching; goes to stderr. */
  log(message: string): void;
}

export interface BenchFigure {
  /** What was measured, as a table row names it ("proxy throughput / direct, 10 connections"). */
  figure: string;
  /** The target as written in the issue ("≥ 0.8×", "≤ 300 ms"). */
  target: string;
  /** The measured figure, in `unit`. */
  value: number;
  unit: "×" | "ms" | "s" | "req/s" | "MiB" | "environments";
  /** The baseline it is a ratio of, or the physical floor beside it, measured in the same run. */
  baseline?: { label: string; value: number; unit: string };
  met: boolean;
  /** One line: why, or what limits it on this machine. */
  note?: string;
}

/** A row module: `export default async function (ctx) { … return figures; }`. */
export type BenchRow = (ctx: BenchContext) => Promise<BenchFigure[]>;
