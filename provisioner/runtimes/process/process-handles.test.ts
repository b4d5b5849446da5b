import { describe, expect, it } from "vitest";
import type { DeployedApp } from "../runtime.ts";
import { instanceUrlOf } from "./process-handles.ts";

const app = (handle: Record<string, unknown>): DeployedApp => ({
  status: "healthy",
  directUrl: "http://127.0.0.1:41000",
  inputHash: "h",
  handle,
});

describe("instanceUrlOf", () => {
  it("names the app's own process, not the front its directUrl is", () => {
    const front = { pid: 300, port: 41000 };
    expect(instanceUrlOf(app({ pid: 200, pgid: 200, port: 41007, front }))).toBe("http://127.0.0.1:41007");
  });

  it("names nothing for a handle it cannot read", () => {
    expect(instanceUrlOf(app({ pid: 200, pgid: 200 }))).toBeUndefined();
    expect(instanceUrlOf(app({}))).toBeUndefined();
  });
});
