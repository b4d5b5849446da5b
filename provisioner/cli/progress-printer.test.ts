import { describe, expect, it } from "vitest";
import { ProgressPrinter } from "./progress-printer.ts";

describe("ProgressPrinter", () => {
  it("prints one line per event, with the duration of finished steps", () => {
    const lines: string[] = [];
    const printer = new ProgressPrinter((line) => lines.push(line));
    const at = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms).toISOString();
    printer.event({ ts: at(0), step: "build", app: "web", status: "started", message: "npm run build" });
    printer.event({ ts: at(0), step: "install", status: "skipped", message: "lockfile unchanged" });
    printer.event({ ts: at(1234), step: "build", app: "web", status: "succeeded", message: "built" });
    printer.event({ ts: at(1300), step: "start", app: "api", status: "failed", message: "exited with 1" });
    printer.event({ ts: at(1400), step: "seed", status: "info", message: "loading demo" });
    printer.event({ ts: at(1500), step: "seed", status: "succeeded", message: "" });
    expect(lines).toEqual([
      "› build web · npm run build",
      "- install skipped (lockfile unchanged)",
      "✓ build web 1.2s",
      "✗ start api: exited with 1",
      "  loading demo",
      "✓ seed",
    ]);
  });
});
