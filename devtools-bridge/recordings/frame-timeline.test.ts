import { describe, expect, it } from "vitest";
import { FrameTimeline } from "./frame-timeline.ts";

describe("FrameTimeline", () => {
  it("holds each frame for the slots until the next one, counted from the start", () => {
    const timeline = new FrameTimeline<string>(10, 100);
    expect(timeline.add("a", 100.02)).toEqual([]);
    // b at 0.5 s: a covered slots 0..4.
    expect(timeline.add("b", 100.5)).toEqual(["a", "a", "a", "a", "a"]);
    expect(timeline.add("c", 100.61)).toEqual(["b"]);
    expect(timeline.finish(101)).toEqual(["c", "c", "c", "c"]);
    expect(timeline.written).toBe(10);
  });

  it("keeps real time over many frames (no rounding drift)", () => {
    const timeline = new FrameTimeline<number>(25, 0);
    let written = 0;
    for (let i = 0; i < 300; i++) written += timeline.add(i, i * 0.033).length;
    written += timeline.finish(10).length;
    expect(written).toBe(250);
  });

  it("lets a later frame in the same slot replace the earlier one", () => {
    const timeline = new FrameTimeline<string>(10, 0);
    timeline.add("a", 0.01);
    expect(timeline.add("b", 0.02)).toEqual([]);
    expect(timeline.finish(0.3)).toEqual(["b", "b", "b"]);
  });

  it("writes a static page's only frame for the whole recording, and at least once", () => {
    const still = new FrameTimeline<string>(25, 0);
    still.add("only", 0);
    expect(still.finish(2)).toHaveLength(50);
    const instant = new FrameTimeline<string>(25, 0);
    instant.add("only", 0);
    expect(instant.finish(0)).toEqual(["only"]);
    expect(new FrameTimeline<string>(25, 0).finish(1)).toEqual([]);
  });

  it("advances a still frame as time passes, so the total stays real time", () => {
    const timeline = new FrameTimeline<string>(10, 0);
    expect(timeline.advance(1)).toEqual([]);
    timeline.add("a", 0);
    expect(timeline.advance(0.5)).toEqual(["a", "a", "a", "a", "a"]);
    expect(timeline.advance(0.52)).toEqual([]);
    expect(timeline.add("b", 0.8)).toEqual(["a", "a", "a"]);
    // A frame painted before the last advance arrives late: it starts at the advanced slot.
    timeline.advance(1.2);
    expect(timeline.add("c", 1.0)).toEqual([]);
    expect(timeline.finish(1.5)).toEqual(["c", "c", "c"]);
    expect(timeline.written).toBe(15);
  });

  it("shows the first frame from the start, however late it came", () => {
    const timeline = new FrameTimeline<string>(10, 0);
    timeline.add("first", 0.4);
    expect(timeline.add("second", 0.6)).toEqual(["first", "first", "first", "first", "first", "first"]);
  });

  it("puts frames stamped before the start (or out of order) at the current slot", () => {
    const timeline = new FrameTimeline<string>(10, 50);
    timeline.add("early", 49);
    timeline.add("next", 50.3);
    expect(timeline.add("late", 50.1)).toEqual([]);
    expect(timeline.finish(50.5)).toEqual(["late", "late"]);
    expect(timeline.written).toBe(5);
  });
});
