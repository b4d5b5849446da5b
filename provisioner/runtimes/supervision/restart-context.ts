/**
 * A restart runs the same start code as provisioning; this is its RuntimeContext: its steps'
 * events go where the supervision reports, and there are no timings or checkpoints to keep
 * (the supervision reports the new handle itself).
 */
import type { RuntimeContext, SupervisionContext } from "../runtime.ts";

export function restartContext(ctx: SupervisionContext, signal: AbortSignal): RuntimeContext {
  return {
    signal,
    logs: ctx.logs,
    event: ctx.event,
    phase: (_name, work) => work(),
    checkpoint: () => Promise.resolve(),
  };
}

/** The deployed status a supervised unit's status stands for. */
export const appStatusOf = {
  up: "healthy",
  unhealthy: "unhealthy",
  crashed: "crashed",
  starting: "starting",
} as const;

export const serviceStatusOf = {
  up: "running",
  // Services have no health check: a service is up or down.
  unhealthy: "running",
  crashed: "crashed",
  starting: "starting",
} as const;

/** The unit status a deployed status stands for, when a watch starts. */
export function unitStatusOf(status: string): "up" | "unhealthy" | "crashed" | "starting" {
  if (status === "crashed" || status === "unhealthy" || status === "starting") return status;
  return "up";
}
