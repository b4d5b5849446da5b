import { describe, expect, it } from "vitest";
import { withEveryPhase } from "./timing-phases.ts";

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
