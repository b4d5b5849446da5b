import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { ImageBuildOrder, type ImageJob } from "./image-builds.ts";

const shared = ["FROM node", "WORKDIR /app", "COPY package.json ./", "RUN npm ci"];
const job = (app: string, own: string[], inputs = "ctx"): ImageJob => ({
  app,
  steps: [...shared, ...own],
  inputs,
});

describe("ImageBuildOrder", () => {
  it("starts a build sharing leading steps once the earlier build has committed them", async () => {
    const log: string[] = [];
    const jobs = [job("api", ["COPY api ."]), job("web", ["COPY web ."]), job("admin", ["COPY admin ."])];
    const order = new ImageBuildOrder(jobs);
    const signal = new AbortController().signal;
    const refs = await Promise.all(
      jobs.map((_, index) =>
        order.run(index, signal, async (j, control) => {
          log.push(
            `${j.app} start${control.after ? ` after ${control.after.app}:${control.after.steps}` : ""}`,
          );
          for (let step = 1; step <= j.steps!.length; step++) {
            control.onStep(step);
            log.push(`${j.app} ${step}`);
            await sleep(5);
          }
          return `${j.app}-ref`;
        }),
      ),
    );
    expect(refs).toEqual(["api-ref", "web-ref", "admin-ref"]);
    // web and admin wait for api's step 5 (its first four are committed), then run alongside it.
    expect(log.indexOf("web start after api:4")).toBe(log.indexOf("api 5") + 1);
    expect(log.indexOf("admin start after api:4")).toBeGreaterThan(log.indexOf("api 5"));
    expect(log.indexOf("web 1")).toBeLessThan(log.indexOf("api 5") + 4);
  });

  it("starts unrelated builds at once, and a follower of a leader that failed at once too", async () => {
    const jobs = [
      job("api", ["COPY api ."]),
      job("web", ["COPY web ."]),
      { app: "other", steps: ["FROM x"] },
    ];
    const order = new ImageBuildOrder(jobs);
    const signal = new AbortController().signal;
    const started: string[] = [];
    const failed = order.run(0, signal, async () => {
      throw new Error("api broke");
    });
    await expect(failed).rejects.toThrow("api broke");
    await order.run(2, signal, async (j) => void started.push(j.app));
    await order.run(
      1,
      signal,
      async (j, control) => void started.push(`${j.app} ${control.after ?? "alone"}`),
    );
    expect(started).toEqual(["other", "web alone"]);
  });

  it("gives up waiting for a leader that never runs once the signal aborts", async () => {
    const jobs = [job("api", ["COPY api ."]), job("web", ["COPY web ."])];
    const order = new ImageBuildOrder(jobs);
    const abort = new AbortController();
    let ran = false;
    const waiting = order.run(1, abort.signal, async () => void (ran = true));
    abort.abort(new Error("api's build was called off"));
    await expect(waiting).rejects.toThrow("called off");
    expect(ran).toBe(false);
  });
});
