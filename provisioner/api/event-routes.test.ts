import { createParser, type EventSourceMessage } from "eventsource-parser";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestApi, type TestApi, until } from "./test-server.test-helper.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi({ heartbeatMs: 50 });
  api.orchestrator.add("env-1");
  api.orchestrator.emit("env-1", { step: "worktree", status: "started", message: "checking out main" });
  api.orchestrator.emit("env-1", { step: "worktree", status: "succeeded", message: "checked out" });
});
afterEach(() => api.close());

/** Collects SSE messages and comments from a streaming response. */
function collect(response: Response) {
  const messages: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({ onEvent: (m) => messages.push(m), onComment: (c) => comments.push(c) });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done || value === undefined) return;
      parser.feed(value);
    }
  })();
  return { messages, comments, cancel: () => reader.cancel().catch(() => {}) };
}

describe("GET /v1/environments/:id/events", () => {
  it("replays past events, then streams live ones, with ids and heartbeats", async () => {
    const controller = new AbortController();
    const response = await api.request("/v1/environments/env-1/events", { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const stream = collect(response);

    await until(() => stream.messages.length === 2);
    api.orchestrator.emit("env-1", {
      step: "build",
      app: "web",
      status: "started",
      message: "npm run build",
    });
    await until(() => stream.messages.length === 3);
    expect(stream.messages.map((m) => m.id)).toEqual(["0", "1", "2"]);
    expect(JSON.parse(stream.messages[2]!.data)).toMatchObject({
      step: "build",
      app: "web",
      status: "started",
    });

    await until(() => stream.comments.some((c) => c.includes("heartbeat")));
    expect(api.orchestrator.listenerCount("env-1")).toBe(1);
    controller.abort();
    await until(() => api.orchestrator.listenerCount("env-1") === 0);
  });

  it("answers 404 problem for an unknown environment", async () => {
    const response = await api.request("/v1/environments/nope/events");
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("lets close() end open streams", async () => {
    const response = await api.request("/v1/environments/env-1/events");
    const stream = collect(response);
    await until(() => stream.messages.length === 2);
    await api.close();
    await until(() => api.orchestrator.listenerCount("env-1") === 0);
  });
});
