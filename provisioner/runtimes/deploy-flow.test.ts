import { describe, expect, it } from "vitest";
import type { EnvironmentEvent } from "../environments/environment-schema.ts";
import { ProvisionError } from "../errors.ts";
import { MemoryLogStore } from "../logs/memory-log-store.ts";
import { parseManifest } from "../manifest/load-manifest.ts";
import { provisionWith, updateWith, type UpdateSteps } from "./deploy-flow.ts";
import type { Deployment, RuntimeContext } from "./runtime.ts";

const manifest = parseManifest(
  `version: 1
services:
  db: { type: postgres }
apps:
  api: { path: apps/api, start: x, depends_on: [db] }
  web: { path: apps/web, start: x, depends_on: [api] }
  admin: { path: apps/admin, start: x, depends_on: [api] }
`,
  "preview.yaml",
  "flow",
);

function makeContext() {
  const events: EnvironmentEvent[] = [];
  const checkpoints: Deployment[] = [];
  const ctx: RuntimeContext = {
    signal: new AbortController().signal,
    logs: new MemoryLogStore(),
    event: (event) => events.push({ ts: new Date().toISOString(), ...event }),
    phase: (_name, work) => work(),
    checkpoint: async (deployment) => void checkpoints.push(deployment),
  };
  return { ctx, events, checkpoints };
}

const deployed = (inputHash: string) => ({
  status: "healthy" as const,
  directUrl: "",
  inputHash,
  handle: {},
});

/** Steps that record what they were asked to do, in order. */
function recordingSteps(deployment: Deployment, overrides: Partial<UpdateSteps> = {}) {
  const calls: string[] = [];
  const steps: UpdateSteps = {
    build: async () => (calls.push("build"), { api: "h1", web: "h2", admin: "h3" }),
    startServices: async (names) => void calls.push(`services ${names.join(",")}`),
    beforeApps: async () => void calls.push("before apps"),
    startApp: async (app, built) => {
      calls.push(`start ${app}`);
      deployment.apps[app] = deployed(built[app] ?? "");
    },
    serviceRunning: async () => true,
    appRunning: async () => true,
    removeService: async (name) => void calls.push(`remove ${name}`),
    removeApp: async (app) => void calls.push(`remove ${app}`),
    inputsChanged: (app, built) => deployment.apps[app]?.inputHash !== built[app],
    keptMessage: "kept",
    ...overrides,
  };
  return { steps, calls };
}

describe("provisionWith", () => {
  it("builds while services start, then starts the apps layer by layer", async () => {
    const deployment: Deployment = { runtime: "process", apps: {}, services: {} };
    const { steps, calls } = recordingSteps(deployment);
    await provisionWith(
      manifest,
      makeContext().ctx,
      async () => steps,
      async () => undefined,
    );
    expect(calls.slice(0, 2).sort()).toEqual(["build", "services db"]);
    expect(calls.slice(2)).toEqual(["before apps", "start api", "start web", "start admin"]);
  });

  it("reports a failure once, removes everything, and rethrows it as a ProvisionError", async () => {
    const { ctx, events } = makeContext();
    const deployment: Deployment = { runtime: "process", apps: {}, services: {} };
    const { steps } = recordingSteps(deployment, {
      startApp: async () => {
        throw new Error("boom");
      },
    });
    let removed = false;
    const failure = await provisionWith(
      manifest,
      ctx,
      async () => steps,
      async () => void (removed = true),
    ).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProvisionError);
    expect(removed).toBe(true);
    expect(events.filter((e) => e.status === "failed")).toHaveLength(1);
  });
});

describe("updateWith", () => {
  it("removes what left the manifest, restarts what died or changed, keeps the rest", async () => {
    const { ctx, events } = makeContext();
    const deployment: Deployment = {
      runtime: "process",
      apps: { api: deployed("h1"), web: deployed("old"), admin: deployed("h3"), gone: deployed("x") },
      services: { db: { type: "postgres", status: "running", url: "", internalUrl: "", handle: {} } },
    };
    const { steps, calls } = recordingSteps(deployment, {
      appRunning: async (app) => app !== "admin",
      removeApp: async (app) => {
        calls.push(`remove ${app}`);
        delete deployment.apps[app];
      },
    });
    await updateWith(manifest, ctx, deployment, async () => steps);
    expect(calls).toContain("remove gone");
    expect(calls).toContain("services ");
    expect(calls.filter((c) => c.startsWith("start "))).toEqual(["start web", "start admin"]);
    expect(events.find((e) => e.app === "api")).toMatchObject({ status: "skipped", message: "kept" });
  });

  it("marks the app that failed to start as failed and checkpoints what runs", async () => {
    const { ctx, checkpoints } = makeContext();
    const deployment: Deployment = {
      runtime: "process",
      apps: { api: deployed("old"), web: deployed("h2"), admin: deployed("h3") },
      services: {},
    };
    const { steps } = recordingSteps(deployment, {
      startApp: async (app) => {
        throw new ProvisionError(`${app} did not start`, "health", app);
      },
    });
    await expect(updateWith(manifest, ctx, deployment, async () => steps)).rejects.toThrow(
      "api did not start",
    );
    expect(checkpoints.at(-1)?.apps.api?.status).toBe("failed");
    expect(checkpoints.at(-1)?.apps.web?.status).toBe("healthy");
  });
});
