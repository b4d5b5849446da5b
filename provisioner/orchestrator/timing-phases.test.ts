import { describe, expect, it } from "vitest";
import type { Timings } from "../environments/environment-schema.ts";
import { PhaseClock, withEveryPhase } from "./timing-phases.ts";

describe("withEveryPhase", () => {
  it("lists every phase SPEC names, in its order, 0 where nothing ran, total last", () => {
    const timings = withEveryPhase({ total: 212, worktree: 10, services: 0, install: 1, build: 1 });
    expect(Object.entries(timings)).toEqual([
      ["worktree", 10],
      ["install", 1],
      ["build", 1],
      ["services", 0],
      ["start", 0],
      ["seed", 0],
      ["total", 212],
    ]);
  });

  it("keeps extra phases and leaves total out until it is known", () => {
    expect(withEveryPhase({ worktree: 5, snapshot: 7 })).toEqual({
      worktree: 5,
      install: 0,
      build: 0,
      services: 0,
      start: 0,
      seed: 0,
      snapshot: 7,
    });
  });
});

describe("PhaseClock", () => {
  it("counts runs of a phase that overlap once, and adds up runs that do not", async () => {
    const timings: Timings = {};
    let now = 0;
    const clock = new PhaseClock(
      () => timings,
      () => now,
    );
    const run = () => {
      let end!: () => void;
      const done = clock.measure("build", () => new Promise<void>((resolve) => (end = resolve)));
      return { end: async () => (end(), await done) };
    };
    const first = run(); // 0 → 60
    now = 10;
    const second = run(); // 10 → 30, inside the first
    now = 30;
    await second.end();
    expect(timings.build).toBeUndefined();
    now = 60;
    await first.end();
    expect(timings.build).toBe(60);
    now = 100;
    const third = run(); // 100 → 120, after the others: adds up
    now = 120;
    await third.end();
    expect(timings.build).toBe(80);
    await expect(clock.measure("start", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(timings.start).toBe(0);
  });
});
