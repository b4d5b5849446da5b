import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { runImageJobs, type ImageJob } from "./image-builds.ts";

const shared = ["FROM node", "WORKDIR /app", "COPY package.json ./", "RUN npm ci"];
const job = (app: string, own: string[], inputs = "ctx"): ImageJob => ({
  app,
  steps: [...shared, ...own],
  inputs,
});

describe("runImageJobs", () => {
  it("starts a build sharing leading steps once the earlier build has committed them", async () => {
    const log: string[] = [];
    const jobs = [job("api", ["COPY api ."]), job("web", ["COPY web ."]), job("admin", ["COPY admin ."])];
    const refs = await runImageJobs(jobs, new AbortController().signal, async (j, control) => {
      log.push(`${j.app} start${control.after ? ` after ${control.after.app}:${control.after.steps}` : ""}`);
      for (let step = 1; step <= j.steps!.length; step++) {
        control.onStep(step);
        log.push(`${j.app} ${step}`);
        await sleep(5);
      }
      return `${j.app}-ref`;
    });
    expect(refs).toEqual(["api-ref", "web-ref", "admin-ref"]);
    // web and admin wait for api's step 5 (its first four are committed), then run alongside it.
    expect(log.indexOf("web start after api:4")).toBe(log.indexOf("api 5") + 1);
    expect(log.indexOf("admin start after api:4")).toBeGreaterThan(log.indexOf("api 5"));
    expect(log.indexOf("web 1")).toBeLessThan(log.indexOf("api 5") + 4);
  });

  it("runs unrelated builds at once, at most `limit` together", async () => {
    let running = 0;
    let most = 0;
    const jobs = ["a", "b", "c"].map((app) => ({ app, steps: [`FROM ${app}`, "RUN x"] }));
    await runImageJobs(
      jobs,
      new AbortController().signal,
      async () => {
        most = Math.max(most, ++running);
        await sleep(10);
        running--;
      },
      2,
    );
    expect(most).toBe(2);
  });

  it("rejects with the first failure and aborts the other builds", async () => {
    const jobs = [job("api", ["COPY api ."]), { app: "other", steps: ["FROM x", "RUN y"] }];
    let otherAborted = false;
    const run = runImageJobs(jobs, new AbortController().signal, async (j, control) => {
      if (j.app === "api") {
        await sleep(5);
        throw new Error("api broke");
      }
      await new Promise((resolve) => control.signal.addEventListener("abort", resolve));
      otherAborted = true;
      throw new Error("aborted");
    });
    await expect(run).rejects.toThrow("api broke");
    expect(otherAborted).toBe(true);
  });
});
