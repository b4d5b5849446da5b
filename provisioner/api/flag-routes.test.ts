import { EventEmitter } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { flagsToken } from "../flags/flags-token.ts";
import { MemoryFlagSource } from "../flags/memory-flag-source.test-helper.ts";
import { createApp } from "./create-app.ts";
import { FakeOrchestrator } from "./fake-orchestrator.test-helper.ts";
import { SseReader } from "./sse-reader.test-helper.ts";
import { readJson } from "./test-server.test-helper.ts";

const token = "main-token";
const auth = { authorization: `Bearer ${token}` };
let url: string;
let close: () => Promise<void>;
const flags = new MemoryFlagSource();
// Stands in for the orchestrator's onDeleted: emit "deleted" with an id to delete that environment.
const deletions = new EventEmitter();
const onDeleted = (listener: (id: string) => void) => {
  deletions.on("deleted", listener);
  return () => void deletions.off("deleted", listener);
};

beforeAll(async () => {
  const orchestrator = new FakeOrchestrator("localhost:7070");
  orchestrator.add("env-1");
  orchestrator.add("env-2");
  const declared = {
    "new-checkout": { type: "boolean", default: false, description: "Route /checkout to the new flow" },
    "banner-text": { type: "string", default: "Welcome" },
    "page-size": { type: "number", default: 20 },
  } as const;
  flags.add("env-1", declared);
  flags.add("env-2", declared);
  const server = await startHttpServer({
    app: createApp({
      orchestrator,
      logger: silentLogger,
      config: { token, heartbeatMs: 60_000 },
      flags,
      onDeleted,
    }),
    host: "127.0.0.1",
    port: 0,
    logger: silentLogger,
  });
  url = server.url;
  close = server.close;
});
afterAll(() => close());

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  return fetch(`${url}/v1/environments${path}`, {
    method,
    headers: { ...(body !== undefined && { "content-type": "application/json" }), ...headers },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

describe("flags API", () => {
  it("lists each flag with its type, value, default and description", async () => {
    const response = await call("GET", "/env-1/flags");
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({
      "new-checkout": {
        type: "boolean",
        value: false,
        default: false,
        description: "Route /checkout to the new flow",
      },
      "banner-text": { type: "string", value: "Welcome", default: "Welcome" },
      "page-size": { type: "number", value: 20, default: 20 },
    });
  });

  it("sets one flag with PUT and several with PATCH, recording the source", async () => {
    const put = await call("PUT", "/env-2/flags/banner-text", { value: "Sale" });
    expect(put.status).toBe(200);
    expect(await readJson(put)).toEqual({
      key: "banner-text",
      type: "string",
      value: "Sale",
      default: "Welcome",
    });
    const patch = await call("PATCH", "/env-2/flags", { "new-checkout": true, "page-size": 5 });
    expect(patch.status).toBe(200);
    const body = await readJson(patch);
    expect([body["new-checkout"].value, body["page-size"].value, body["banner-text"].value]).toEqual([
      true,
      5,
      "Sale",
    ]);
    expect(flags.changes.at(-1)).toEqual({
      id: "env-2",
      values: { "new-checkout": true, "page-size": 5 },
      source: "api",
    });
  });

  it.each([
    ["PUT", "/env-1/flags/page-size", { value: "ten" }, "value"],
    ["PUT", "/env-1/flags/new-checkout", { value: "yes" }, "value"],
    ["PATCH", "/env-1/flags", { "banner-text": 3 }, "banner-text"],
    ["PUT", "/env-1/flags/page-size", {}, "value"],
    ["PUT", "/env-1/flags/page-size", { value: [1] }, "value"],
    ["PATCH", "/env-1/flags", { "page-size": { n: 1 } }, "page-size"],
  ])("answers %s %s %j with 400 naming %s", async (method, path, body, field) => {
    const response = await call(method, path, body);
    expect(response.status).toBe(400);
    const problem = await readJson(response);
    expect(problem.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it.each([
    ["PUT", "/env-1/flags/dark-mode", { value: true }],
    ["PATCH", "/env-1/flags", { "dark-mode": true, "page-size": 3 }],
    ["GET", "/nope/flags", undefined],
  ])("answers %s %s with 404", async (method, path, body) => {
    const response = await call(method, path, body);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("names the undeclared key where it came from: the URL for PUT, the body for PATCH", async () => {
    const put = await readJson(await call("PUT", "/env-1/flags/dark-mode", { value: true }));
    expect(put.errors).toEqual([
      { path: "params.key", message: expect.stringContaining("unknown flag dark-mode") },
    ]);
    const patch = await readJson(await call("PATCH", "/env-1/flags", { "dark-mode": true }));
    expect(patch.errors).toEqual([
      { path: "dark-mode", message: expect.stringContaining("unknown flag dark-mode") },
    ]);
  });

  it("changes nothing when part of a PATCH is wrong", async () => {
    await call("PATCH", "/env-1/flags", { "page-size": 7, "banner-text": false });
    expect(flags.read("env-1").values["page-size"]).toBe(20);
  });
});

function ofrep(id: string, path: string, body: unknown = {}, headers: Record<string, string> = auth) {
  return fetch(`${url}/v1/environments/${id}/ofrep/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("OFREP", () => {
  it("evaluates one flag with reason and variant: DEFAULT until set, then STATIC", async () => {
    const before = await ofrep("env-1", "/evaluate/flags/banner-text", { context: { targetingKey: "u1" } });
    expect(before.status).toBe(200);
    expect(await readJson(before)).toEqual({
      key: "banner-text",
      value: "Welcome",
      reason: "DEFAULT",
      variant: "default",
      metadata: { type: "string" },
    });
    await flags.set("env-1", { "banner-text": "Hello" }, "test");
    const after = await readJson(await ofrep("env-1", "/evaluate/flags/banner-text"));
    expect(after).toMatchObject({ value: "Hello", reason: "STATIC", variant: "override" });
  });

  it("answers OFREP errors: FLAG_NOT_FOUND 404, PARSE_ERROR and INVALID_CONTEXT 400", async () => {
    const missing = await ofrep("env-1", "/evaluate/flags/dark-mode");
    expect(missing.status).toBe(404);
    expect(await readJson(missing)).toMatchObject({ key: "dark-mode", errorCode: "FLAG_NOT_FOUND" });
    const malformed = await ofrep("env-1", "/evaluate/flags/page-size", "{not json");
    expect(malformed.status).toBe(400);
    expect(await readJson(malformed)).toMatchObject({ key: "page-size", errorCode: "PARSE_ERROR" });
    const context = await ofrep("env-1", "/evaluate/flags/page-size", { context: "everyone" });
    expect(await readJson(context)).toMatchObject({ errorCode: "INVALID_CONTEXT" });
    const bulk = await ofrep("env-1", "/evaluate/flags", "[1,2");
    expect(bulk.status).toBe(400);
    expect(await readJson(bulk)).toMatchObject({ errorCode: "PARSE_ERROR" });
    const noEnv = await ofrep("nope", "/evaluate/flags/page-size");
    expect(noEnv.status).toBe(404);
    expect(await readJson(noEnv)).toMatchObject({ errorCode: "FLAG_NOT_FOUND" });
  });

  it("evaluates in bulk with an ETag, answers If-None-Match with 304 until a flag changes", async () => {
    const first = await ofrep("env-1", "/evaluate/flags");
    expect(first.status).toBe(200);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const body = await readJson(first);
    expect(body.flags.map((f: { key: string }) => f.key)).toEqual([
      "new-checkout",
      "banner-text",
      "page-size",
    ]);
    expect(body.eventStreams).toEqual([
      {
        type: "sse",
        endpoint: { requestUri: "/v1/environments/env-1/ofrep/v1/events" },
        inactivityDelaySec: 120,
      },
    ]);

    const unchanged = await ofrep("env-1", "/evaluate/flags", {}, { ...auth, "if-none-match": etag });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get("etag")).toBe(etag);
    const weak = await ofrep("env-1", "/evaluate/flags", {}, { ...auth, "if-none-match": `"x", W/${etag}` });
    expect(weak.status).toBe(304);

    await flags.set("env-1", { "page-size": 50 }, "test");
    const changed = await ofrep("env-1", "/evaluate/flags", {}, { ...auth, "if-none-match": etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    const pageSize = (await readJson(changed)).flags.find((f: { key: string }) => f.key === "page-size");
    expect(pageSize).toMatchObject({ value: 50, reason: "STATIC" });
  });

  it("sends a refetchEvaluation event to subscribers when a flag changes", async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/v1/environments/env-2/ofrep/v1/events`, {
      headers: auth,
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const sse = new SseReader(response);
    try {
      await call("PUT", "/env-2/flags/banner-text", { value: "Flash sale" });
      const event = await sse.waitFor(() => true, 5000);
      const bulk = await ofrep("env-2", "/evaluate/flags");
      expect(event.data).toMatchObject({ type: "refetchEvaluation", etag: bulk.headers.get("etag") });
      expect(event.id).toBe(bulk.headers.get("etag")!.slice(1, -1));
    } finally {
      controller.abort();
      await sse.done;
    }
  });

  it("ends the event stream when its environment is deleted, and only then", async () => {
    const response = await fetch(`${url}/v1/environments/env-2/ofrep/v1/events`, { headers: auth });
    const sse = new SseReader(response);
    deletions.emit("deleted", "env-1");
    await call("PUT", "/env-2/flags/page-size", { value: 7 });
    await sse.waitFor(() => true, 5000);
    deletions.emit("deleted", "env-2");
    await sse.done;
    expect(deletions.listenerCount("deleted")).toBe(0);
  });

  it("accepts the environment's flags token on its own OFREP routes only", async () => {
    const envToken = { authorization: `Bearer ${flagsToken(token, "env-1")}` };
    expect((await ofrep("env-1", "/evaluate/flags", {}, envToken)).status).toBe(200);
    expect((await ofrep("env-1", "/evaluate/flags/page-size", {}, envToken)).status).toBe(200);
    expect((await ofrep("env-2", "/evaluate/flags", {}, envToken)).status).toBe(401);
    expect((await call("GET", "/env-1/flags", undefined, envToken)).status).toBe(401);
    expect((await call("GET", "/env-1", undefined, envToken)).status).toBe(401);
    expect((await call("PATCH", "/env-1/flags", { "page-size": 1 }, envToken)).status).toBe(401);
    expect((await ofrep("env-1", "/evaluate/flags", {}, {})).status).toBe(401);
  });

  it("refuses a missing or wrong token in OFREP's shape, saying which token it wants", async () => {
    const missing = await ofrep("env-1", "/evaluate/flags/page-size", {}, {});
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await readJson(missing)).toEqual({
      key: "page-size",
      errorCode: "GENERAL",
      errorDetails: expect.stringMatching(
        /^no bearer token for environment env-1's flags: .*PREVIEW_FLAGS_TOKEN/,
      ),
    });
    const wrong = await readJson(
      await ofrep("env-1", "/evaluate/flags", {}, { authorization: "Bearer nope" }),
    );
    expect(wrong).toEqual({
      errorCode: "GENERAL",
      errorDetails: expect.stringMatching(/^wrong bearer token/),
    });
  });

  it.each([
    [
      "/v1/environments/env-1/ofrep/ofrep/v1/evaluate/flags/page-size",
      "/v1/environments/env-1/ofrep",
      "env-1",
    ],
    [
      "/v1/environments/env-1/flags/ofrep/v1/evaluate/flags/page-size",
      "/v1/environments/env-1/flags",
      "env-1",
    ],
    [
      "/v1/environments/env-1/ofrep/v1/ofrep/v1/evaluate/flags/page-size",
      "/v1/environments/env-1/ofrep/v1",
      "env-1",
    ],
    ["/ofrep/v1/evaluate/flags/page-size", "", "<id>"],
    ["/v1/ofrep/v1/evaluate/flags/page-size", "/v1", "<id>"],
  ])("answers OFREP under a wrong base (%s) with a 404 naming the right one", async (path, given, id) => {
    for (const headers of [auth, {}]) {
      const response = await fetch(`${url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: "{}",
      });
      expect(response.status).toBe(404);
      expect(await readJson(response)).toEqual({
        key: "page-size",
        errorCode: "GENERAL",
        errorDetails:
          `no OFREP endpoint at ${path}: the OFREP base URL was given as ${url}${given}, but an environment's ` +
          `is ${url}/v1/environments/${id} (its flagsUrl; PREVIEW_FLAGS_URL for its apps), ` +
          "to which the provider appends /ofrep/v1/evaluate/flags/page-size",
      });
    }
    const bulk = await fetch(`${url}${path.replace(/\/page-size$/, "")}`, { method: "POST", body: "{}" });
    expect(bulk.status).toBe(404);
    expect(await readJson(bulk)).not.toHaveProperty("key");
  });

  it("answers CORS preflights from the environment's preview origins only", async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/v1/environments/env-1/ofrep/v1/evaluate/flags`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
    const allowed = await preflight("http://web--env-1.localhost:7070");
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://web--env-1.localhost:7070");
    expect(allowed.headers.get("access-control-allow-headers")).toMatch(/Authorization/);
    const other = await preflight("http://web--env-2.localhost:7070");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const response = await ofrep(
      "env-1",
      "/evaluate/flags",
      {},
      { ...auth, origin: "http://web--env-1.localhost:7070" },
    );
    expect(response.headers.get("access-control-allow-origin")).toBe("http://web--env-1.localhost:7070");
    expect(response.headers.get("access-control-expose-headers")).toBe("ETag");
  });
});
