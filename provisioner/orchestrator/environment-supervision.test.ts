import { describe, expect, it } from "vitest";
import type { EnvironmentStatus } from "../environments/environment-schema.ts";
import { silentLogger } from "../logger.ts";
import type { LogStore } from "../logs/log-store.ts";
import type { Deployment, Runtime, SupervisionContext } from "../runtimes/runtime.ts";
import type { EnvironmentRecord } from "./environment-record.ts";
import { EnvironmentSupervision, type SupervisionHost } from "./environment-supervision.ts";

function deployment(): Deployment {
  return {
    runtime: "process",
    apps: {
      web: { status: "healthy", directUrl: "http://127.0.0.1:1", inputHash: "h", handle: { pid: 10 } },
    },
    services: {
      db: { type: "postgres", status: "running", url: "u", internalUrl: "u", handle: { pid: 11 } },
    },
  };
}

/** A runtime whose supervision reports what the test says, and records when it is stopped. */
function setup(status: EnvironmentStatus = "ready") {
  let ctx: SupervisionContext | undefined;
  const stopped: string[] = [];
  const runtime = {
    supervise: (env: { id: string }, _deployment: Deployment, context: SupervisionContext) => {
      ctx = context;
      return { stop: async () => void stopped.push(env.id) };
    },
  } as unknown as Runtime;
  const record = { id: "env-1", runtime: "process", status, deployment: deployment() } as EnvironmentRecord;
  const statuses: EnvironmentStatus[] = [];
  let saves = 0;
  const host: SupervisionHost = {
    deps: { logs: {} as LogStore, logger: silentLogger },
    runtime: () => runtime,
    runtimeEnvironment: (r) => ({ id: r.id }) as never,
    emit: () => undefined,
    setStatus: (r, s) => {
      r.status = s;
      statuses.push(s);
    },
    persist: async () => void saves++,
  };
  const supervision = new EnvironmentSupervision(host);
  return { supervision, record, statuses, stopped, ctx: () => ctx!, saves: () => saves };
}

describe("EnvironmentSupervision", () => {
  it("turns a crashed app into a degraded environment, and everything up again into ready", () => {
    const { supervision, record, statuses, ctx, saves } = setup();
    supervision.watch(record);
    const web = record.deployment!.apps.web!;
    ctx().appChanged("web", { ...web, status: "crashed" });
    expect(record.deployment!.apps.web!.status).toBe("crashed");
    ctx().serviceChanged("db", { ...record.deployment!.services.db!, status: "crashed" });
    ctx().appChanged("web", { ...web, status: "healthy", handle: { pid: 20 } });
    expect(record.status).toBe("degraded");
    ctx().serviceChanged("db", { ...record.deployment!.services.db!, status: "running" });
    expect(statuses).toEqual(["degraded", "ready"]);
    expect(record.deployment!.apps.web!.handle).toEqual({ pid: 20 });
    expect(saves()).toBe(4);
  });

  it("watches only ready or degraded environments, once", () => {
    const failed = setup("failed");
    failed.supervision.watch(failed.record);
    expect(failed.ctx()).toBeUndefined();
    const ready = setup();
    ready.supervision.watch(ready.record);
    const first = ready.ctx();
    ready.supervision.watch(ready.record);
    expect(ready.ctx()).toBe(first);
  });

  it("a degraded environment found all up when watched again is ready", () => {
    const { supervision, record, statuses } = setup("degraded");
    supervision.watch(record);
    expect(statuses).toEqual(["ready"]);
  });

  it("ignores what a stopped watch reports, and leaves a status an operation set alone", async () => {
    const { supervision, record, statuses, stopped, ctx } = setup();
    supervision.watch(record);
    const late = ctx();
    await supervision.stop(record.id);
    expect(stopped).toEqual(["env-1"]);
    late.appChanged("web", { ...record.deployment!.apps.web!, status: "crashed" });
    expect(record.deployment!.apps.web!.status).toBe("healthy");
    expect(statuses).toEqual([]);

    supervision.watch(record);
    record.status = "deleting";
    ctx().appChanged("web", { ...record.deployment!.apps.web!, status: "crashed" });
    expect(record.status).toBe("deleting");
  });
});
