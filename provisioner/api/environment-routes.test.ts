import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonBody, readJson, startTestApi, type TestApi, until } from "./test-server.test-helper.ts";

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(() => api.close());

describe("POST /v1/environments", () => {
  it("creates an environment (201), then returns the same one (200)", async () => {
    const first = await api.request("/v1/environments", jsonBody({ repo: "/repos/shop", ref: "feature/x" }));
    expect(first.status).toBe(201);
    const created = await readJson(first);
    expect(created).toMatchObject({ id: "shop-feature-x", ref: "feature/x", status: "provisioning" });
    expect(api.orchestrator.requests[0]).toEqual({ repo: "/repos/shop", ref: "feature/x" });

    const again = await api.request("/v1/environments", jsonBody({ repo: "/repos/shop", ref: "feature/x" }));
    expect(again.status).toBe(200);
    expect((await readJson(again)).id).toBe("shop-feature-x");
  });

  it("with wait=true answers once the environment is ready", async () => {
    const answer = api.request("/v1/environments?wait=true&timeout=5", jsonBody({ repo: "/repos/shop" }));
    await until(() => api.orchestrator.environments.has("shop-main"));
    api.orchestrator.setStatus("shop-main", "ready");
    const response = await answer;
    expect(response.status).toBe(201);
    expect((await readJson(response)).status).toBe("ready");
  });

  it("with wait=true answers with the current state when the timeout passes", async () => {
    const response = await api.request("/v1/environments?wait=true&timeout=1", jsonBody({ repo: "/r" }));
    expect(response.status).toBe(201);
    expect((await readJson(response)).status).toBe("provisioning");
  });

  it.each([
    ["wait=maybe", "query.wait"],
    ["wait=true&timeout=0", "query.timeout"],
    ["wait=true&timeout=3601", "query.timeout"],
    ["wait=true&timeout=abc", "query.timeout"],
  ])("rejects ?%s with 400 naming %s", async (query, path) => {
    const response = await api.request(`/v1/environments?${query}`, jsonBody({ repo: "/r" }));
    expect(response.status).toBe(400);
    const problem = await readJson(response);
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    expect(api.orchestrator.requests).toHaveLength(0);
  });

  it("rejects a body without repo, with a bad runtime and an extra field, naming each field", async () => {
    const response = await api.request("/v1/environments", jsonBody({ runtime: "vm", colour: "blue" }));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const problem = await readJson(response);
    expect(problem).toMatchObject({ type: "validation", title: "Bad Request", status: 400 });
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { path: "repo", message: expect.stringContaining("expected string") },
        { path: "runtime", message: expect.stringContaining('(got "vm")') },
        { path: "colour", message: "unknown field" },
      ]),
    );
    expect(problem.detail).toContain("runtime");
  });

  it("rejects a missing body as 400 body", async () => {
    const response = await api.request("/v1/environments", { method: "POST" });
    expect(response.status).toBe(400);
    expect((await readJson(response)).errors[0].path).toBe("body");
  });
});

describe("reading environments", () => {
  it("lists and gets environments", async () => {
    api.orchestrator.add("env-1");
    api.orchestrator.add("env-2");
    const list = await api.request("/v1/environments");
    expect(list.status).toBe(200);
    expect((await readJson(list)).map((e: { id: string }) => e.id)).toEqual(["env-1", "env-2"]);

    const one = await api.request("/v1/environments/env-2");
    expect(one.status).toBe(200);
    expect((await readJson(one)).id).toBe("env-2");
  });

  it("answers 404 problem for an unknown environment", async () => {
    const response = await api.request("/v1/environments/nope");
    expect(response.status).toBe(404);
    expect(await readJson(response)).toMatchObject({
      type: "not-found",
      status: 404,
      detail: "environment nope not found",
    });
  });
});

describe("changing environments", () => {
  beforeEach(() => {
    api.orchestrator.add("env-1", { status: "ready" });
  });

  it("patches the ttl", async () => {
    const response = await api.request(
      "/v1/environments/env-1",
      jsonBody({ ttl: "2h" }, { method: "PATCH" }),
    );
    expect(response.status).toBe(200);
    expect((await readJson(response)).expiresAt).toEqual(expect.any(String));

    const forever = await api.request("/v1/environments/env-1", jsonBody({ ttl: null }, { method: "PATCH" }));
    expect((await readJson(forever)).expiresAt).toBeNull();
  });

  it("rejects a bad ttl", async () => {
    const response = await api.request(
      "/v1/environments/env-1",
      jsonBody({ ttl: "soon" }, { method: "PATCH" }),
    );
    expect(response.status).toBe(400);
    expect((await readJson(response)).errors).toEqual([
      { path: "ttl", message: expect.stringContaining('"soon"') },
    ]);
  });

  it("redeploys (202)", async () => {
    const response = await api.request("/v1/environments/env-1/redeploy", { method: "POST" });
    expect(response.status).toBe(202);
    expect((await readJson(response)).status).toBe("updating");
  });

  it("redeploys with wait=true: 200 once the redeploy is ready", async () => {
    const answer = api.request("/v1/environments/env-1/redeploy?wait=true&timeout=5", { method: "POST" });
    await until(() => api.orchestrator.get("env-1").status === "updating");
    api.orchestrator.setStatus("env-1", "ready", { commit: "f".repeat(40) });
    const response = await answer;
    expect(response.status).toBe(200);
    expect(await readJson(response)).toMatchObject({ status: "ready", commit: "f".repeat(40) });
  });

  it("redeploys with wait=true: 202 with the current state when the timeout passes", async () => {
    const response = await api.request("/v1/environments/env-1/redeploy?wait=true&timeout=1", {
      method: "POST",
    });
    expect(response.status).toBe(202);
    expect((await readJson(response)).status).toBe("updating");
  });

  it("gets with wait=true once the environment has settled", async () => {
    api.orchestrator.setStatus("env-1", "updating");
    const answer = api.request("/v1/environments/env-1?wait=true&timeout=5");
    api.orchestrator.setStatus("env-1", "failed");
    const response = await answer;
    expect(response.status).toBe(200);
    expect((await readJson(response)).status).toBe("failed");
  });

  it("deletes (202), and a second delete conflicts (409)", async () => {
    const response = await api.request("/v1/environments/env-1", { method: "DELETE" });
    expect(response.status).toBe(202);
    expect((await readJson(response)).status).toBe("deleting");
    const again = await api.request("/v1/environments/env-1", { method: "DELETE" });
    expect(again.status).toBe(409);
  });

  it("deletes with wait=true: 204 once the environment is gone", async () => {
    const answer = api.request("/v1/environments/env-1?wait=true", { method: "DELETE" });
    await until(() => api.orchestrator.get("env-1").status === "deleting");
    api.orchestrator.remove("env-1");
    const response = await answer;
    expect(response.status).toBe(204);
    expect(await response.text()).toBe("");
  });
});
