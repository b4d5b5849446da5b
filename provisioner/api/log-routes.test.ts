import { EventEmitter } from "node:events";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { FileLogStore } from "../logs/file-log-store.ts";
import { createApp } from "./create-app.ts";
import { FakeOrchestrator } from "./fake-orchestrator.test-helper.ts";
import { SseReader } from "./sse-reader.test-helper.ts";
import { readJson } from "./test-server.test-helper.ts";

let url: string;
let close: () => Promise<void>;
let logs: FileLogStore;
const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-log-routes-"));
// Stands in for the orchestrator's onDeleted: emit "deleted" with an id to delete that environment.
const deletions = new EventEmitter();
const onDeleted = (listener: (id: string) => void) => {
  deletions.on("deleted", listener);
  return () => void deletions.off("deleted", listener);
};

beforeAll(async () => {
  const orchestrator = new FakeOrchestrator();
  orchestrator.add("env-1");
  orchestrator.add("env-2");
  orchestrator.add("env-3");
  orchestrator.add("env-4");
  logs = await FileLogStore.open({ dir });
  const line = (app: string, stream: "stdout" | "stderr" | "system", text: string, ts: string) =>
    logs.append("env-1", { app, stream, line: text, ts });
  line("api", "stdout", "api listening on 4000", "2030-01-01T10:00:00.000Z");
  line("web", "stdout", "web listening on 4001", "2030-01-01T10:01:00.000Z");
  line("api", "stderr", "Error: connection refused", "2030-01-01T10:02:00.000Z");
  line("db", "stdout", "database system is ready", "2030-01-01T10:03:00.000Z");
  line("previewd", "system", "start api healthy: ready", "2030-01-01T10:04:00.000Z");
  const server = await startHttpServer({
    app: createApp({ orchestrator, logger: silentLogger, config: { heartbeatMs: 60_000 }, logs, onDeleted }),
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
  });
  url = server.url;
  close = server.close;
});

afterAll(async () => {
  await close();
  await logs.close();
  await rm(dir, { recursive: true, force: true });
});

async function ndjson(query: string): Promise<Array<Record<string, string>>> {
  const response = await fetch(`${url}/v1/environments/env-1/logs${query}`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
  const text = await response.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

const texts = (entries: Array<Record<string, string>>) => entries.map((e) => e.line);

describe("GET /v1/environments/:id/logs", () => {
  it("answers NDJSON lines {ts, app, stream, line}", async () => {
    const entries = await ndjson("");
    expect(entries).toHaveLength(5);
    expect(entries[0]).toEqual({
      ts: "2030-01-01T10:00:00.000Z",
      app: "api",
      stream: "stdout",
      line: "api listening on 4000",
    });
  });

  it.each([
    ["?app=api", ["api listening on 4000", "Error: connection refused"]],
    ["?app=web,db", ["web listening on 4001", "database system is ready"]],
    ["?app=web&app=previewd", ["web listening on 4001", "start api healthy: ready"]],
    ["?stream=stderr", ["Error: connection refused"]],
    ["?stream=system", ["start api healthy: ready"]],
    ["?since=2030-01-01T10:03:00Z", ["database system is ready", "start api healthy: ready"]],
    ["?until=2030-01-01T10:00:30Z", ["api listening on 4000"]],
    [
      "?since=2030-01-01T11:01:00%2B01:00&until=2030-01-01T10:02:00Z",
      ["web listening on 4001", "Error: connection refused"],
    ],
    ["?tail=2", ["database system is ready", "start api healthy: ready"]],
    ["?grep=listening", ["api listening on 4000", "web listening on 4001"]],
    ["?grep=/^(web|database)/", ["web listening on 4001", "database system is ready"]],
    ["?grep=/error/i", ["Error: connection refused"]],
    ["?app=api&grep=listening&tail=1", ["api listening on 4000"]],
    [
      `?grep=${encodeURIComponent("/(?<name>\\w+) listening on \\d+/")}`,
      ["api listening on 4000", "web listening on 4001"],
    ],
  ])("filters %s", async (query, expected) => {
    expect(texts(await ndjson(query))).toEqual(expected);
  });

  it("reads `since` as a duration back from now", async () => {
    logs.append("env-2", {
      app: "api",
      stream: "stdout",
      line: "old",
      ts: new Date(Date.now() - 600_000).toISOString(),
    });
    logs.append("env-2", { app: "api", stream: "stdout", line: "recent" });
    const response = await fetch(`${url}/v1/environments/env-2/logs?since=5m`);
    expect(await response.text()).toMatch(/^\{[^\n]*"line":"recent"\}\n$/);
  });

  it.each([
    ["?grep=/(unclosed/", "query.grep"],
    ["?since=yesterday", "query.since"],
    ["?until=2030-13-45T99:00:00Z", "query.until"],
    ["?stream=stdlog", "query.stream.0"],
    ["?tail=-1", "query.tail"],
    ["?tail=lots", "query.tail"],
    ["?follow=maybe", "query.follow"],
    ["?maxDuration=forever", "query.maxDuration"],
    ["?colour=red", "query.colour"],
  ])("answers %s with a 400 naming %s", async (query, field) => {
    const response = await fetch(`${url}/v1/environments/env-1/logs${query}`);
    expect(response.status).toBe(400);
    const problem = await readJson(response);
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it("answers a grep over 1000 characters with a 400", async () => {
    const response = await fetch(`${url}/v1/environments/env-1/logs?grep=${"x".repeat(1001)}`);
    expect(response.status).toBe(400);
    expect((await readJson(response)).errors).toEqual([
      {
        path: "query.grep",
        message: expect.stringMatching(/^expected at most 1000 characters \(got 1001\)/),
      },
    ]);
  });

  it("runs /(a+)+$/ over the line that froze previewd for 17.6 s, in linear time and correctly", async () => {
    // 27 `a`s and a `!`: JavaScript's backtracking RegExp doubled its time with every `a`.
    logs.append("env-4", { app: "api", stream: "stdout", line: `${"a".repeat(27)}!` });
    logs.append("env-4", { app: "api", stream: "stdout", line: "a".repeat(27) });
    const grep = async (pattern: string) => {
      const response = await fetch(`${url}/v1/environments/env-4/logs?grep=${encodeURIComponent(pattern)}`);
      expect(response.status).toBe(200);
      return (await response.text())
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).line);
    };
    expect(await grep("/(a+)+$/")).toEqual(["a".repeat(27)]);
    expect(await grep("/^(a+)+!$/")).toEqual([`${"a".repeat(27)}!`]);
  });

  it.each([
    ["/(a)\\1/", "backreference `\\1`"],
    ["/error(?=: )/", "lookahead `(?=`"],
    ["/(?<!no )error/", "negative lookbehind `(?<!`"],
  ])("refuses %s with a 400 naming the unsupported %s", async (pattern, construct) => {
    const response = await fetch(`${url}/v1/environments/env-1/logs?grep=${encodeURIComponent(pattern)}`);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = await readJson(response);
    expect(problem.errors).toEqual([
      {
        path: "query.grep",
        message: expect.stringContaining(`unsupported ${construct}: grep patterns use RE2 syntax`),
      },
    ]);
  });

  it("keeps answering other requests while a long grep runs", async () => {
    // 8 MB of log that RE2 must walk whole (the one match is the oldest line) with a large pattern
    // and no literal to skip lines by: far more than one turn of the event loop (about 1.5 s here).
    logs.append("env-3", { app: "api", stream: "stdout", line: `${"é".repeat(150)}1` });
    for (let i = 0; i < 1000; i++)
      logs.append("env-3", { app: "api", stream: "stdout", line: "ab".repeat(4000) });
    const query = logs.query.bind(logs);
    const grepStarted = new Promise<void>((resolve) =>
      vi.spyOn(logs, "query").mockImplementation((id, q) => {
        if (id === "env-3") resolve();
        return query(id, q);
      }),
    );
    const order: string[] = [];
    const grep = fetch(
      `${url}/v1/environments/env-3/logs?tail=1&grep=${encodeURIComponent("/\\p{L}{150}\\d/")}`,
    ).then((response) => {
      order.push("grep");
      return response.text();
    });
    try {
      // The route has read the lines and is matching them: a server that matched in one go
      // would answer the grep before it even read this request.
      await grepStarted;
      const health = await fetch(`${url}/healthz`);
      order.push("healthz");
      expect(health.status).toBe(200);
    } finally {
      vi.restoreAllMocks();
    }
    expect(JSON.parse(await grep)).toMatchObject({ line: `${"é".repeat(150)}1` });
    expect(order).toEqual(["healthz", "grep"]);
  });

  it("answers 404 for an unknown environment", async () => {
    const response = await fetch(`${url}/v1/environments/nope/logs`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("caps tail at 5000", async () => {
    for (let i = 0; i < 5100; i++) logs.append("env-2", { app: "api", stream: "stdout", line: `n${i}` });
    const response = await fetch(`${url}/v1/environments/env-2/logs?tail=100000`);
    expect((await response.text()).trim().split("\n")).toHaveLength(5000);
  });
});

describe("GET /v1/environments/:id/logs?follow=true", () => {
  it("sends the tail, then a line written after subscribing within 1 s, with increasing ids", async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/environments/env-1/logs?follow=true&tail=2&app=api`, {
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sse = new SseReader(response);
    try {
      await sse.waitFor((e) => (e.data as { line: string }).line === "Error: connection refused", 5000);
      expect(sse.events.map((e) => (e.data as { line: string }).line)).toEqual([
        "api listening on 4000",
        "Error: connection refused",
      ]);
      logs.append("env-1", { app: "web", stream: "stdout", line: "not for this follower" });
      const written = Date.now();
      logs.append("env-1", { app: "api", stream: "stdout", line: "live line" });
      const live = await sse.waitFor((e) => (e.data as { line: string }).line === "live line", 1000);
      expect(Date.now() - written).toBeLessThan(1000);
      expect(live.data).toMatchObject({ app: "api", stream: "stdout" });
      expect(sse.events.map((e) => (e.data as { line: string }).line)).not.toContain("not for this follower");
      const ids = sse.events.map((e) => Number(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    } finally {
      controller.abort();
      await sse.done;
    }
  });

  it("resumes after Last-Event-ID without repeating lines", async () => {
    const all = logs.query("env-1");
    const third = all[2]!;
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/environments/env-1/logs?follow=true`, {
      signal: controller.signal,
      headers: { "last-event-id": String(third.id) },
    });
    const sse = new SseReader(response);
    try {
      await sse.waitFor((e) => Number(e.id) === all.at(-1)!.id, 5000);
      expect(sse.events.map((e) => (e.data as { line: string }).line)).toEqual(
        all.slice(3).map((e) => e.line),
      );
    } finally {
      controller.abort();
      await sse.done;
    }
  });

  it("ends the stream cleanly after maxDuration", async () => {
    const started = Date.now();
    const response = await fetch(`${url}/v1/environments/env-1/logs?follow=true&tail=0&maxDuration=300ms`);
    const body = await response.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(body).toContain(": connected");
  });

  it("ends the stream when its environment is deleted, and only then", async () => {
    const response = await fetch(`${url}/v1/environments/env-2/logs?follow=true&tail=0`);
    const sse = new SseReader(response);
    deletions.emit("deleted", "env-1");
    logs.append("env-2", { app: "api", stream: "stdout", line: "still following" });
    await sse.waitFor((e) => (e.data as { line: string }).line === "still following", 1000);
    deletions.emit("deleted", "env-2");
    await sse.done;
    expect(deletions.listenerCount("deleted")).toBe(0);
  });
});
