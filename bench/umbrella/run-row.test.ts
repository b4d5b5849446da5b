import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runRow } from "./run-row.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "bench-rows-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function row(name: string, source: string): string {
  const file = path.join(dir, `${name}.mts`);
  writeFileSync(file, source);
  return file;
}

describe("runRow", () => {
  it("returns a row's figures and passes --quick on", async () => {
    const file = row(
      "good",
      `export default async (ctx) => [{ figure: "quick is " + ctx.quick, target: "≥ 1×", value: 2, unit: "×", met: true }];`,
    );
    const result = await runRow("good", file, true, 30_000);
    expect(result.error).toBeUndefined();
    expect(result.figures).toEqual([
      { figure: "quick is true", target: "≥ 1×", value: 2, unit: "×", met: true },
    ]);
  });

  it("reports a row that throws and a malformed figure as failures", async () => {
    const results = await Promise.all([
      runRow(
        "throws",
        row("throws", `export default async () => { throw new Error("no upstream"); };`),
        false,
        30_000,
      ),
      runRow(
        "nan",
        row("nan", `export default async () => [{ figure: "x", target: "y", value: "1", met: true }];`),
        false,
        30_000,
      ),
    ]);
    expect(results.map((result) => result.figures)).toEqual([[], []]);
    expect(results[0]!.error).toContain("no upstream");
    expect(results[1]!.error).toContain("figures[0] (x): expected value: number, met: boolean");
  });

  it("stops a row that runs past its time", async () => {
    const file = row(
      "hangs",
      `export default () => { setInterval(() => {}, 1000); return new Promise(() => {}); };`,
    );
    const result = await runRow("hangs", file, false, 2_000);
    expect(result.error).toBe("ran longer than 2 s; stopped");
  });
});
