import { describe, expect, it } from "vitest";
import { bridgeEnvironments } from "./devtools-environments.ts";
import { NotFoundError } from "./errors.ts";
import type { EnvironmentOrchestrator } from "./orchestrator/create-orchestrator.ts";
import type { Runtime } from "./runtimes/runtime.ts";

/** Only what remoteBrowser reads: an environment's runtime name, and that runtime. */
function orchestrator(runtimes: Record<string, Partial<Runtime>>, envs: Record<string, string>) {
  return {
    record(id: string) {
      const runtime = envs[id];
      if (!runtime) throw new NotFoundError(`no environment ${id}`);
      return { id, runtime };
    },
    runtime: (name: string) => runtimes[name],
  } as unknown as EnvironmentOrchestrator;
}

describe("bridgeEnvironments.remoteBrowser", () => {
  const forwards = new Map([["k8s-up", "http://127.0.0.1:4321"]]);
  const environments = bridgeEnvironments(
    orchestrator(
      { process: {}, kubernetes: { browserEndpoint: (id: string) => forwards.get(id) } },
      { local: "process", "k8s-up": "kubernetes", "k8s-waiting": "kubernetes" },
    ),
  );

  it("asks the environment's runtime: its browser's URL, none yet, or the bridge's own", () => {
    expect(environments.remoteBrowser?.("k8s-up")).toEqual({ httpUrl: "http://127.0.0.1:4321" });
    expect(environments.remoteBrowser?.("k8s-waiting")).toEqual({});
    expect(environments.remoteBrowser?.("local")).toBeUndefined();
    expect(environments.remoteBrowser?.("gone")).toBeUndefined();
  });
});
