import { afterEach, describe, expect, it } from "vitest";
import { jsonBody, readJson, startTestApi, type TestApi } from "./test-server.test-helper.ts";

let api: TestApi;
afterEach(() => api?.close());

describe("GitHub routes without GitHub settings", () => {
  it("the webhook skips the bearer token (its signature is its auth) and answers 503: disabled", async () => {
    api = await startTestApi({ token: "secret" });
    const response = await api.request("/v1/github/webhook", { method: "POST", body: "{}" });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(await readJson(response)).toMatchObject({ type: "github-not-configured", status: 503 });
  });

  it("the comment route needs the bearer token, validates its body, and answers 503 without GITHUB_TOKEN", async () => {
    api = await startTestApi({ token: "secret" });
    const path = "/v1/environments/x/github/comment";
    expect((await api.request(path, jsonBody({ repo: "a/b", pr: 1 }))).status).toBe(401);
    const auth = { headers: { authorization: "Bearer secret" } };
    const bad = await api.request(path, jsonBody({ repo: "nope", pr: 0 }, auth));
    expect(bad.status).toBe(400);
    const problem = await readJson(bad);
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["pr", "repo"]);
    const off = await api.request(path, jsonBody({ repo: "a/b", pr: 1 }, auth));
    expect(off.status).toBe(503);
    expect((await readJson(off)).detail).toContain("GITHUB_TOKEN");
  });
});
