import { describe, expect, it } from "vitest";
import { ProvisionError } from "../errors.ts";
import { parseManifest } from "../manifest/load-manifest.ts";
import { provisionWith, updateWith, type PipelineOptions, type UpdateSteps } from "./deploy-flow.ts";
import type { Deployment } from "./runtime.ts";
import { recordingContext } from "../../test/helpers/runtime-context.ts";

const manifest = parseManifest(
  `version: 1
services:
  db: { type: postgres }
apps:
  api: { path: apps/api, start: x, release: migrate, depends_on: [db] }
  web: { path: apps/web, start: x, depends_on: [api] }
  admin: { path: apps/admin, start: x, depends_on: [api] }
`,
  "preview.yaml",
  "flow",
);

/** Three apps that depend on nothing, and one that depends on `a`. */
const independent = parseManifest(
  `version: 1
apps:
  a: { path: apps/a, start: x }
  b: { path: apps/b, start: x }
  c: { path: apps/c, start: x }
  d: { path: apps/d, start: x, depends_on: [a] }
`,
  "preview.yaml",
  "independent",
);

const makeContext = () => recordingContext();

const deployed = (inputHash: string) => ({
  status: "healthy" as const,
  directUrl: "",
  inputHash,
  handle: {},
});

/** Resolves when `open` is called: lets a test hold a step until something else happened. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Steps that record what they were asked to do, in order. */
function recordingSteps(deployment: Deployment, overrides: Partial<UpdateSteps> = {}, sharedWorktree = true) {
  const calls: string[] = [];
  const hashes: Record<string, string> = { api: "h1", web: "h2", admin: "h3" };
  const steps: UpdateSteps = {
    prepareBuilds: async () => {
      calls.push("install");
      return {
        sharedWorktree,
        build: async (app) => {
          calls.push(`build ${app}`);
          return hashes[app] ?? `h-${app}`;
        },
      };
    },
    startServices: async (names) => void calls.push(`services ${names.join(",")}`),
    beforeApps: async () => void calls.push("before apps"),
    release: async (app) => void calls.push(`release ${app}`),
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

const emptyDeployment = (): Deployment => ({ runtime: "process", apps: {}, services: {} });
const before = (calls: string[], first: string, second: string) =>
  calls.indexOf(first) >= 0 && calls.indexOf(first) < calls.indexOf(second);

async function provision(
  deployment: Deployment,
  overrides: Partial<UpdateSteps> = {},
  pipeline: PipelineOptions = {},
  manifestToRun = manifest,
) {
  const { steps, calls } = recordingSteps(deployment, { pipeline, ...overrides });
  const context = makeContext();
  await provisionWith(
    manifestToRun,
    context.ctx,
    async () => steps,
    async () => undefined,
  );
  return { calls, ...context };
}

describe("provisionWith", () => {
  it("builds while services start; each app releases and starts once its build and dependencies are ready", async () => {
    const { calls } = await provision(emptyDeployment());
    expect(calls.filter((c) => c.startsWith("start ") || c.startsWith("release "))).toEqual([
      "release api",
      "start api",
      "start web",
      "start admin",
    ]);
    expect(before(calls, "services db", "release api")).toBe(true);
    expect(before(calls, "build api", "release api")).toBe(true);
    expect(before(calls, "before apps", "release api")).toBe(true);
    expect(calls.filter((c) => c === "before apps")).toHaveLength(1);
    // Only api has a release.
    expect(calls.filter((c) => c.startsWith("release "))).toEqual(["release api"]);
  });

  it("the old way: one build at a time, every build and service before any app, layer by layer", async () => {
    const { calls } = await provision(emptyDeployment(), {}, { mode: "sequential" });
    const builds = calls.filter((c) => c.startsWith("build "));
    expect(builds).toEqual(["build api", "build web", "build admin"]);
    expect(calls.slice(calls.indexOf("before apps"))).toEqual([
      "before apps",
      "release api",
      "start api",
      "start web",
      "start admin",
    ]);
    expect(calls.indexOf("services db")).toBeLessThan(calls.indexOf("before apps"));
  });

  it("runs independent builds side by side: two builds that each wait for the other finish", async () => {
    const started = { a: gate(), b: gate() };
    const { calls } = await provision(
      emptyDeployment(),
      {
        prepareBuilds: async () => ({
          sharedWorktree: true,
          build: async (app) => {
            if (app === "a" || app === "b") {
              started[app].open();
              // Sequential builds would wait here forever.
              await started[app === "a" ? "b" : "a"].opened;
            }
            return `h-${app}`;
          },
        }),
      },
      {},
      independent,
    );
    expect(calls.filter((c) => c.startsWith("start ")).sort()).toEqual([
      "start a",
      "start b",
      "start c",
      "start d",
    ]);
  });

  it("runs at most `buildConcurrency` builds at once, and an app's build after those of the apps it depends on", async () => {
    let running = 0;
    let most = 0;
    const finished: string[] = [];
    const slow = gate();
    await provision(
      emptyDeployment(),
      {
        prepareBuilds: async () => ({
          sharedWorktree: true,
          build: async (app) => {
            most = Math.max(most, ++running);
            if (app === "a") await slow.opened; // until b ran beside it
            if (app === "b") slow.open();
            await new Promise((resolve) => setImmediate(resolve));
            running--;
            finished.push(app);
            return `h-${app}`;
          },
        }),
      },
      { buildConcurrency: 2 },
      independent,
    );
    expect(most).toBe(2);
    expect(finished.indexOf("a")).toBeLessThan(finished.indexOf("d"));
  });

  it("starts an app while an unrelated build is still running", async () => {
    const slowBuild = gate();
    const order: string[] = [];
    await provision(
      emptyDeployment(),
      {
        prepareBuilds: async () => ({
          sharedWorktree: false,
          build: async (app) => {
            if (app === "c") {
              await slowBuild.opened;
              order.push("c built");
            }
            return `h-${app}`;
          },
        }),
        startApp: async (app) => {
          order.push(`start ${app}`);
          if (app === "d") slowBuild.open(); // d waited for a, not for c's build
        },
      },
      {},
      independent,
    );
    expect(order.indexOf("start a")).toBeLessThan(order.indexOf("c built"));
    expect(order.indexOf("start d")).toBeLessThan(order.indexOf("c built"));
    expect(order.indexOf("start c")).toBeGreaterThan(order.indexOf("c built"));
  });

  it("starts every app while the builds still offer their outputs, and ends only once that is done", async () => {
    const offered = gate();
    const order: string[] = [];
    const provisioned = provision(emptyDeployment(), {
      prepareBuilds: async () => ({
        sharedWorktree: true,
        build: async (app) => `h-${app}`,
        settled: async () => {
          await offered.opened;
          order.push("offered");
        },
      }),
      startApp: async (app) => {
        order.push(`start ${app}`);
        if (order.filter((call) => call.startsWith("start")).length === 3) offered.open();
      },
    });
    await provisioned;
    expect(order).toEqual(["start api", expect.any(String), expect.any(String), "offered"]);
  });

  it("reports a failure once, removes everything, and rethrows it as a ProvisionError", async () => {
    const { ctx, events } = makeContext();
    const { steps } = recordingSteps(emptyDeployment(), {
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

  it("on a failed release, aborts the builds under way, starts nothing more and reports the release", async () => {
    const { ctx, events } = makeContext();
    let aborted = false;
    const { steps, calls } = recordingSteps(emptyDeployment(), {
      prepareBuilds: async () => ({
        sharedWorktree: false,
        build: async (app, signal) => {
          if (app === "api") return "h1";
          // The other builds run until told to stop.
          await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
          aborted = true;
          throw new ProvisionError(`build of ${app} stopped`, "build", app);
        },
      }),
      release: async (app) => {
        throw new ProvisionError(`release of ${app} failed`, "release", app, ["no such table"]);
      },
    });
    const failure = await provisionWith(
      manifest,
      ctx,
      async () => steps,
      async () => undefined,
    ).catch((error: unknown) => error);
    expect(failure).toMatchObject({ step: "release", app: "api", logTail: ["no such table"] });
    expect(aborted).toBe(true);
    expect(calls.filter((c) => c.startsWith("start "))).toEqual([]);
    expect(events.filter((e) => e.status === "failed")).toEqual([
      expect.objectContaining({ step: "release", app: "api" }),
    ]);
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
    expect(calls.filter((c) => c.startsWith("services"))).toEqual([]);
    expect(calls.filter((c) => c.startsWith("start ")).sort()).toEqual(["start admin", "start web"]);
    expect(events.find((e) => e.app === "api")).toMatchObject({ status: "skipped", message: "kept" });
  });

  it("releases again only an app whose inputs changed, not one that merely died", async () => {
    const changed = makeContext();
    const deployment: Deployment = {
      runtime: "process",
      apps: { api: deployed("old"), web: deployed("h2"), admin: deployed("h3") },
      services: {},
    };
    const first = recordingSteps(deployment);
    await updateWith(manifest, changed.ctx, deployment, async () => first.steps);
    expect(first.calls.filter((c) => /^(release|start) /.test(c))).toEqual(["release api", "start api"]);

    const died = recordingSteps(deployment, { appRunning: async (app) => app !== "api" });
    await updateWith(manifest, makeContext().ctx, deployment, async () => died.steps);
    expect(died.calls.filter((c) => /^(release|start) /.test(c))).toEqual(["start api"]);
  });

  it("keeps the old app running when its release fails, and checkpoints what runs", async () => {
    const { ctx, checkpoints } = makeContext();
    const deployment: Deployment = {
      runtime: "process",
      apps: { api: deployed("old"), web: deployed("h2"), admin: deployed("h3") },
      services: {},
    };
    const { steps, calls } = recordingSteps(deployment, {
      release: async () => {
        throw new ProvisionError("release of api failed", "release", "api");
      },
    });
    await expect(updateWith(manifest, ctx, deployment, async () => steps)).rejects.toThrow(
      "release of api failed",
    );
    expect(calls.filter((c) => c.startsWith("start "))).toEqual([]);
    expect(checkpoints.at(-1)?.apps.api).toMatchObject({ status: "healthy", inputHash: "old" });
  });

  it("marks the app that failed to start as failed, unless its old instance still serves, and checkpoints", async () => {
    const update = async (oldStillRuns: boolean) => {
      const { ctx, checkpoints } = makeContext();
      const deployment: Deployment = {
        runtime: "process",
        apps: { api: deployed("old"), web: deployed("h2"), admin: deployed("h3") },
        services: {},
      };
      const { steps } = recordingSteps(deployment, {
        // The new instance failed; the old one is gone (stopped first) or serves on (started beside it).
        appRunning: async (app) => app !== "api" || oldStillRuns,
        startApp: async (app) => {
          throw new ProvisionError(`${app} did not start`, "health", app);
        },
      });
      await expect(updateWith(manifest, ctx, deployment, async () => steps)).rejects.toThrow(
        "api did not start",
      );
      return checkpoints.at(-1);
    };
    const stopped = await update(false);
    expect(stopped?.apps.api?.status).toBe("failed");
    expect(stopped?.apps.web?.status).toBe("healthy");
    expect((await update(true))?.apps.api?.status).toBe("healthy");
  });
});
