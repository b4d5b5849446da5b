import { describe, expect, it } from "vitest";
import {
  merge,
  renderTable,
  replaceTableSection,
  tableEnd,
  tableStart,
  type RowEntry,
} from "./bench-report.ts";

const run = {
  date: "2026-12-02T13:00:00.000Z",
  node: "v20.20.2",
  cpus: 2,
  memoryGiB: 24,
  load: [1.5],
  quick: false,
};

function entry(name: string, extra: Partial<RowEntry> = {}): RowEntry {
  return { name, startedAt: run.date, durationMs: 10, quick: false, load: 1, figures: [], ...extra };
}

describe("bench report", () => {
  it("renders each figure with its unit, baseline and whether it met the target, and a failed row as a failure", () => {
    const results = merge(undefined, run, [
      entry("proxy", {
        figures: [
          {
            figure: "throughput / direct | 10 connections",
            target: "≥ 0.8×",
            value: 0.8734,
            unit: "×",
            baseline: { label: "direct", value: 3120.4, unit: "req/s" },
            met: true,
            note: "keep-alive",
          },
          { figure: "p50 / direct", target: "≤ 1.2×", value: 1.5, unit: "×", met: false },
        ],
      }),
      entry("density", { error: "Error: out of ports\n    at x" }),
    ]);
    const table = renderTable(results);
    expect(table).toContain("| density | (the row failed) |  |  |  | **no** |");
    expect(table).toContain(
      "| proxy | throughput / direct \\| 10 connections | ≥ 0.8× | 0.87× | direct: 3120 req/s | yes |",
    );
    expect(table).toContain("| proxy | p50 / direct | ≤ 1.2× | 1.50× |  | **no** |");
    expect(table).toContain("- density failed: Error: out of ports\n");
    expect(table.indexOf("| density")).toBeLessThan(table.indexOf("| proxy")); // sorted by row
  });

  it("keeps rows of an earlier run that --only did not run, and says they are from another run", () => {
    const earlier = merge(undefined, run, [
      entry("proxy", { startedAt: "2026-11-30T10:00:00.000Z", quick: true }),
    ]);
    const results = merge(earlier, run, [entry("density")]);
    expect(Object.keys(results.rows)).toEqual(["density", "proxy"]);
    expect(renderTable(results)).toContain("Rows from other runs: proxy (2026-11-30, --quick).");
  });

  it("replaces the section between the markers, and creates it before the first section otherwise", () => {
    const fresh = replaceTableSection("# Benchmarks\n\nIntro.\n\n## Proxy\n\nprose\n", "TABLE 1");
    expect(fresh).toBe(
      `# Benchmarks\n\nIntro.\n\n## All figures (\`npm run bench\`)\n\n${tableStart}\n\nTABLE 1\n\n${tableEnd}\n\n## Proxy\n\nprose\n`,
    );
    const again = replaceTableSection(fresh, "TABLE 2");
    expect(again).toBe(fresh.replace("TABLE 1", "TABLE 2"));
  });
});
