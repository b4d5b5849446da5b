import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EnvironmentEvent } from "../../environments/environment-schema.ts";
import { startSupervisor, type Probe, type SupervisedUnit, type UnitStatus } from "./supervisor.ts";

/** A unit whose looks follow `probes` (the last one repeats) and whose restarts follow `restarts`. */
function fakeUnit(probes: Probe["state"][], restarts: boolean[] = []) {
  const reported: UnitStatus[] = [];
  const restartedAt: number[] = [];
  let looks = 0;
  const unit: SupervisedUnit = {
    kind: "app",
    name: "api",
    status: "up",
    probe: async () => {
      const state = probes[Math.min(looks++, probes.length - 1)] ?? "up";
      return state === "up"
        ? { state }
        : { state, reason: state === "exited" ? "exited with code 137" : "503" };
    },
    restart: async () => {
      restartedAt.push(Date.now());
      if (restarts.shift() === false) throw new Error("did not come up");
      probes.splice(0, probes.length, "up");
      looks = 0;
    },
    report: (status) => reported.push(status),
  };
  return { unit, reported, restartedAt };
}

describe("startSupervisor", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reports a crash, restarts 1 s later, and reports it up again, with an event for each", async () => {
    const { unit, reported, restartedAt } = fakeUnit(["up", "exited"]);
    const events: Omit<EnvironmentEvent, "ts">[] = [];
    const supervision = startSupervisor({ units: [unit], event: (e) => events.push(e) });
    await vi.advanceTimersByTimeAsync(2_000); // looks at 1 s (up) and 2 s (exited)
    expect(reported).toEqual(["crashed"]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(restartedAt).toEqual([3_000]);
    expect(reported).toEqual(["crashed", "starting", "up"]);
    expect(events.map((e) => `${e.status}: ${e.message}`)).toEqual([
      "failed: app crashed: exited with code 137",
      "info: app restart #1 in 1 s",
      "started: app restarting (#1)",
      "succeeded: app restarted (#1)",
    ]);
    expect(events.every((e) => e.step === "supervise" && e.app === "api")).toBe(true);
    await supervision.stop();
  });

  it("backs off 1, 2, 4 s between failed restarts", async () => {
    const { unit, restartedAt } = fakeUnit(["exited"], [false, false, true]);
    const supervision = startSupervisor({ units: [unit], event: () => undefined });
    await vi.advanceTimersByTimeAsync(20_000);
    // Crash seen at 1 s; restarts 1 s, then 2 s, then 4 s after the one before failed.
    expect(restartedAt).toEqual([2_000, 4_000, 8_000]);
    await supervision.stop();
  });

  it("calls an app unhealthy after 3 failed checks and restarts it after 10", async () => {
    const { unit, reported, restartedAt } = fakeUnit(["failing"]);
    const supervision = startSupervisor({ units: [unit], event: () => undefined });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(reported).toEqual(["unhealthy"]);
    await vi.advanceTimersByTimeAsync(7_000);
    expect(restartedAt).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(restartedAt).toEqual([11_000]);
    expect(reported).toEqual(["unhealthy", "starting", "up"]);
    await supervision.stop();
  });

  it("stops without restarting what it was waiting to restart, and leaves no timer", async () => {
    const { unit, reported, restartedAt } = fakeUnit(["exited"]);
    const supervision = startSupervisor({ units: [unit], event: () => undefined });
    await vi.advanceTimersByTimeAsync(1_500);
    await supervision.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(restartedAt).toEqual([]);
    expect(reported).toEqual(["crashed"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("decides nothing on a look that could not be made", async () => {
    const { unit, reported } = fakeUnit(["up"]);
    unit.probe = () => Promise.reject(new Error("engine not answering"));
    const supervision = startSupervisor({ units: [unit], event: () => undefined });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reported).toEqual([]);
    await supervision.stop();
  });
});
