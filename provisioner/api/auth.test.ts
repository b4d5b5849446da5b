import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApi, type TestApi } from "./test-server.test-helper.ts";

describe("bearer token", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ token: "s3cret" });
  });
  afterAll(() => api.close());

  it.each([
    ["no header", {}],
    ["a wrong token", { authorization: "Bearer nope" }],
    ["a longer wrong token", { authorization: "Bearer s3cret-and-more" }],
    ["another scheme", { authorization: "Basic s3cret" }],
  ])("rejects %s with 401", async (_name, headers: Record<string, string>) => {
    const response = await api.request("/v1/environments", { headers });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await readJson(response)).toMatchObject({ type: "unauthorized", status: 401 });
  });

  it("accepts the right token", async () => {
    const response = await api.request("/v1/environments", { headers: { authorization: "Bearer s3cret" } });
    expect(response.status).toBe(200);
  });

  it("leaves /healthz and /openapi.json open", async () => {
    expect((await api.request("/healthz")).status).toBe(200);
    expect((await api.request("/openapi.json")).status).toBe(200);
  });
});
