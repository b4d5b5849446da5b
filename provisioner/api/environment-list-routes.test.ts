import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../environments/environment-schema.ts";
import { SseReader } from "./sse-reader.test-helper.ts";
import { readJson, startTestApi, type TestApi } from "./test-server.test-helper.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi({ listPollMs: 20 });
});
afterEach(() => api.close());

const ids = (data: unknown) => (data as EnvironmentView[]).map((env) => `${env.id}:${env.status}`);

describe("GET /v1/environments?follow=true", () => {
  it("sends the list, then the list again whenever it changes, and only then", async () => {
    api.orchestrator.add("env-1");
    const controller = new AbortController();
    const response = await api.request("/v1/environments?follow=true", { signal: controller.signal });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = new SseReader(response);
    await stream.waitFor((e) => ids(e.data).join() === "env-1:provisioning", 5000);

    api.orchestrator.add("env-2");
    await stream.waitFor((e) => ids(e.data).join() === "env-1:provisioning,env-2:provisioning", 5000);
    api.orchestrator.setStatus("env-1", "ready");
    await stream.waitFor((e) => ids(e.data).includes("env-1:ready"), 5000);
    api.orchestrator.environments.delete("env-2");
    await stream.waitFor((e) => ids(e.data).join() === "env-1:ready", 5000);
    // Unchanged polls send nothing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stream.events.map((e) => e.id)).toEqual(["0", "1", "2", "3"]);
    controller.abort();
  });

  it("without follow answers the plain list; a malformed follow is a 400 naming query.follow", async () => {
    api.orchestrator.add("env-1");
    expect(await (await api.request("/v1/environments")).json()).toHaveLength(1);
    const bad = await api.request("/v1/environments?follow=yes");
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).errors[0].path).toBe("query.follow");
  });
});
