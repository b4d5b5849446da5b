/**
 * The phases SPEC names for `timings`. Every view lists each of them, 0 when the last
 * provisioning or update had nothing to do there (no build step, an update that kept the data),
 * so clients can read `timings.build` without checking that it exists.
 */
import { performance } from "node:perf_hooks";
import type { Timings } from "../environments/environment-schema.ts";

export const timingPhases = ["worktree", "install", "build", "services", "start", "seed"] as const;

/** SPEC's phases first (0 if absent), then anything else measured, then `total` once it is known. */
export function withEveryPhase(timings: Timings): Timings {
  const { total, ...measured } = timings;
  const phases: Timings = Object.fromEntries(timingPhases.map((phase) => [phase, 0]));
  return { ...phases, ...measured, ...(total !== undefined && { total }) };
}

/**
 * Measures phases into the timings `current()` returns: a phase's time is how long at least one
 * run of it was under way, so runs that overlap (builds side by side, apps starting together)
 * count once and a phase never reads longer than the operation.
 */
export class PhaseClock {
  readonly #running = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly current: () => Timings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async measure<T>(name: string, work: () => Promise<T>): Promise<T> {
    const running = this.#running.get(name) ?? { count: 0, since: 0 };
    if (running.count === 0) running.since = this.now();
    running.count++;
    this.#running.set(name, running);
    try {
      return await work();
    } finally {
      if (--running.count === 0) {
        const timings = this.current();
        timings[name] = (timings[name] ?? 0) + Math.round(this.now() - running.since);
      }
    }
  }
}
