import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApi, type TestApi } from "./test-server.test-helper.ts";

describe("createApp", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ bodyLimit: "1kb" });
  });
  afterAll(() => api.close());

  it("answers /healthz", async () => {
    const response = await api.request("/healthz");
    expect(response.status).toBe(200);
    expect(await readJson(response)).toEqual({ status: "ok" });
  });

  it("answers malformed JSON with 400", async () => {
    const response = await api.request("/v1/environments", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"repo": ',
    });
    expect(response.status).toBe(400);
    expect(await readJson(response)).toMatchObject({ status: 400, detail: "malformed JSON" });
  });

  it("answers a body over the limit with 413", async () => {
    const response = await api.request("/v1/environments", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ repo: "x".repeat(4096) }),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it.each(["/nope", "/v1/nope", "/v1/environments/env-1/nope"])(
    "answers unknown route %s with a 404 problem",
    async (path) => {
      const response = await api.request(path);
      expect(response.status).toBe(404);
      expect(await readJson(response)).toMatchObject({ type: "not-found", status: 404 });
    },
  );
});
