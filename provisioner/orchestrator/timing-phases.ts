/**
 * The phases SPEC names for `timings`. Every view lists each of them, 0 when the last
 * provisioning or update had nothing to do there (no build step, an update that kept the data),
 * so clients can read `timings.build` without checking that it exists.
 */
import type { Timings } from "../environments/environment-schema.ts";

export const timingPhases = ["worktree", "install", "build", "services", "start", "seed"] as const;

/** SPEC's phases first (0 if absent), then anything else measured, then `total` once it is known. */
export function withEveryPhase(timings: Timings): Timings {
  const { total, ...measured } = timings;
  const phases: Timings = Object.fromEntries(timingPhases.map((phase) => [phase, 0]));
  return { ...phases, ...measured, ...(total !== undefined && { total }) };
}
