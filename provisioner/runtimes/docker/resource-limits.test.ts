import { describe, expect, it } from "vitest";
import { ManifestError } from "../../errors.ts";
import type { AppSpec } from "../../manifest/manifest-schema.ts";
import { containerLimits, parseMemory } from "./resource-limits.ts";

const app = (docker: Partial<NonNullable<AppSpec["docker"]>>): AppSpec => ({
  path: ".",
  health: "/",
  env: {},
  depends_on: [],
  docker: { context: ".", port: 80, image: "x", ...docker },
});

describe("resource limits", () => {
  it("reads Docker's memory notation", () => {
    expect(parseMemory("512m")).toBe(512 * 1024 ** 2);
    expect(parseMemory("1g")).toBe(1024 ** 3);
    expect(parseMemory("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseMemory("lots")).toBeUndefined();
    expect(parseMemory("1k")).toBeUndefined(); // below Docker's minimum
  });

  it("applies defaults and reports a bad value at its field", () => {
    expect(containerLimits("api", app({}))).toEqual({ Memory: 1024 ** 3, NanoCpus: 1e9, PidsLimit: 512 });
    expect(containerLimits("api", app({ memory: "256m", cpus: 0.5, pids: 64 }))).toEqual({
      Memory: 256 * 1024 ** 2,
      NanoCpus: 5e8,
      PidsLimit: 64,
    });
    expect(() => containerLimits("api", app({ memory: "huge" }))).toThrow(ManifestError);
    expect(() => containerLimits("api", app({ memory: "huge" }))).toThrow(/apps\.api\.docker\.memory/);
  });
});
