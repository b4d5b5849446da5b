/** Pulumi engine events as the environment's events: one per resource step and per warning or error. */
import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import type { StackEvent } from "./pulumi-engine.ts";

export function stackEventOf(event: EngineEvent): StackEvent | undefined {
  const step = event.resourcePreEvent ?? event.resOutputsEvent ?? event.resOpFailedEvent;
  if (step) {
    const { op, type, urn } = step.metadata;
    // The stack and the component itself say nothing a reader of the environment's events needs.
    if (op === "same" || type === "pulumi:pulumi:Stack") return undefined;
    const name = urn.split("::").pop() ?? urn;
    const status = event.resOpFailedEvent ? "failed" : event.resourcePreEvent ? "started" : "succeeded";
    return { op, type, name, status, message: `${op} ${type} ${name}` };
  }
  const diagnostic = event.diagnosticEvent;
  if (diagnostic && (diagnostic.severity === "warning" || diagnostic.severity === "error")) {
    return {
      status: diagnostic.severity === "error" ? "failed" : "info",
      message: diagnostic.message.trim(),
    };
  }
  return undefined;
}
