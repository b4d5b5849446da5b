import { describe, expect, it } from "vitest";
import { RestartBackoff } from "./restart-backoff.ts";

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("RestartBackoff", () => {
  it("waits 1 s, then doubles up to 30 s while the crashes go on", () => {
    const backoff = new RestartBackoff();
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it("starts over after a minute up, not before", () => {
    const time = clock();
    const backoff = new RestartBackoff(undefined, time.now);
    for (let i = 0; i < 4; i++) backoff.next();
    backoff.up();
    time.advance(59_000);
    backoff.up();
    expect(backoff.next()).toBe(16_000);
    backoff.up();
    time.advance(60_000);
    backoff.up();
    expect(backoff.next()).toBe(1_000);
  });

  it("counts the minute up from the last time it was seen down", () => {
    const time = clock();
    const backoff = new RestartBackoff(undefined, time.now);
    backoff.next();
    backoff.up();
    time.advance(40_000);
    backoff.down();
    backoff.up();
    time.advance(40_000);
    backoff.up();
    expect(backoff.next()).toBe(2_000);
  });
});
