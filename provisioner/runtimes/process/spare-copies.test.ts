import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { sweepTemporaries } from "./spare-copies.ts";

const base = mkdtempSync(path.join(os.tmpdir(), "previewd-spare-copies-"));
afterAll(() => rm(base, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const twoHoursAgo = () => new Date(Date.now() - 2 * 3_600_000);

describe("sweepTemporaries", () => {
  it("keeps a temporary being copied right now from a source older than an hour", async () => {
    const dir = mkdtempSync(path.join(base, "fresh-"));
    const source = path.join(base, "old-source");
    mkdirSync(source, { recursive: true });
    writeFileSync(path.join(source, "PG_VERSION"), "16\n");
    utimesSync(source, twoHoursAgo(), twoHoursAgo());
    // What copyAhead does: `cp -a` gives the temporary its source's times.
    execFileSync("cp", ["-a", "--", source, path.join(dir, ".copying")]);
    await sweepTemporaries(dir);
    expect(existsSync(path.join(dir, ".copying", "PG_VERSION"))).toBe(true);
  });

  it("removes what a dead previewd left an hour ago, but neither a named folder nor an entry", async () => {
    const dir = mkdtempSync(path.join(base, "stale-"));
    for (const name of [".left", ".spares", "entry"]) mkdirSync(path.join(dir, name));
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + 2 * 3_600_000);
    await sweepTemporaries(dir, [".spares"]);
    expect([".left", ".spares", "entry"].map((name) => existsSync(path.join(dir, name)))).toEqual([
      false,
      true,
      true,
    ]);
  });
});
