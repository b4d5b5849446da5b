import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BuildSeeds, distance } from "./build-seeds.ts";

const files = (entries: Record<string, string>) => new Map(Object.entries(entries));
let dir: string | undefined;
afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

describe("distance from a seed", () => {
  it("counts the files changed or added since the seed", () => {
    const seed = { "src/a.ts": "1", "src/b.ts": "1" };
    expect(distance(seed, files({ "src/a.ts": "1", "src/b.ts": "1" }))).toBe(0);
    expect(distance(seed, files({ "src/a.ts": "2", "src/b.ts": "1" }))).toBe(1);
    expect(distance(seed, files({ "src/a.ts": "2", "src/b.ts": "1", "src/c.ts": "1" }))).toBe(2);
  });

  it("rules out a seed with a file that is gone now: its output would outlive it", () => {
    expect(distance({ "src/a.ts": "1", "src/old.ts": "1" }, files({ "src/a.ts": "1" }))).toBeUndefined();
  });
});

describe("BuildSeeds", () => {
  it("lists the builds of the same family nearest first, and none of another family", async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "previewd-seeds-"));
    const seeds = new BuildSeeds(dir);
    await seeds.note("web", "build-far", files({ "a.ts": "0", "b.ts": "0" }));
    await seeds.note("web", "build-near", files({ "a.ts": "1", "b.ts": "0" }));
    await seeds.note("web", "build-deleted", files({ "a.ts": "1", "b.ts": "1", "gone.ts": "1" }));
    await seeds.note("api", "build-api", files({ "a.ts": "1", "b.ts": "1" }));
    const now = files({ "a.ts": "1", "b.ts": "1" });
    expect(await seeds.nearest("web", now)).toEqual([
      { key: "build-near", changed: 1 },
      { key: "build-far", changed: 2 },
    ]);
    await seeds.forget("web", "build-near");
    expect((await seeds.nearest("web", now)).map((c) => c.key)).toEqual(["build-far"]);
    expect(await seeds.nearest("admin", now)).toEqual([]);
  });
});
