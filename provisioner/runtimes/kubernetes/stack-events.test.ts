import type { EngineEvent } from "@pulumi/pulumi/automation/index.js";
import { describe, expect, it } from "vitest";
import { stackEventOf } from "./stack-events.ts";

const step = (op: string, type: string, name: string) => ({
  metadata: {
    op,
    type,
    urn: `urn:pulumi:owner1--shop-1::previewd::previewd:kubernetes:PreviewEnvironment$${type}::${name}`,
    provider: "",
  },
});

const event = (fields: Partial<EngineEvent>) => ({ sequence: 1, timestamp: 0, ...fields }) as EngineEvent;

describe("engine events as the environment's events", () => {
  it("turns each resource step into started, succeeded or failed, named by the resource", () => {
    const deployment = step("create", "kubernetes:apps/v1:Deployment", "shop-1-deployment-api");
    expect(stackEventOf(event({ resourcePreEvent: deployment } as Partial<EngineEvent>))).toEqual({
      op: "create",
      type: "kubernetes:apps/v1:Deployment",
      name: "shop-1-deployment-api",
      status: "started",
      message: "create kubernetes:apps/v1:Deployment shop-1-deployment-api",
    });
    expect(stackEventOf(event({ resOutputsEvent: deployment } as Partial<EngineEvent>))?.status).toBe(
      "succeeded",
    );
    expect(
      stackEventOf(
        event({ resOpFailedEvent: { ...deployment, status: 1, steps: 1 } } as Partial<EngineEvent>),
      )?.status,
    ).toBe("failed");
  });

  it("leaves out unchanged objects and the stack itself; keeps warnings and errors, not chatter", () => {
    expect(
      stackEventOf(
        event({ resourcePreEvent: step("same", "kubernetes:core/v1:Service", "x") } as Partial<EngineEvent>),
      ),
    ).toBeUndefined();
    expect(
      stackEventOf(
        event({
          resourcePreEvent: step("create", "pulumi:pulumi:Stack", "previewd"),
        } as Partial<EngineEvent>),
      ),
    ).toBeUndefined();
    const diagnostic = (severity: string, message: string) =>
      stackEventOf(event({ diagnosticEvent: { severity, message, color: "never" } } as Partial<EngineEvent>));
    expect(diagnostic("error", "  the image cannot be pulled\n")).toEqual({
      status: "failed",
      message: "the image cannot be pulled",
    });
    expect(diagnostic("warning", "deprecated field")).toEqual({
      status: "info",
      message: "deprecated field",
    });
    expect(diagnostic("info", "resources: 12")).toBeUndefined();
    expect(stackEventOf(event({ stdoutEvent: { message: "…", color: "never" } }))).toBeUndefined();
  });
});
