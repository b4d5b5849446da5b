import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  ManifestError,
  NotFoundError,
  PreviewdError,
  ProvisionError,
  RuntimeUnavailableError,
  SourceError,
  UnauthorizedError,
  ValidationError,
} from "../errors.ts";
import {
  BrowserUnavailableError,
  CdpError,
  NavigationError,
  TooManyBrowsersError,
} from "../../devtools-bridge/bridge-errors.ts";
import { GitHubApiError, GitHubNotConfiguredError } from "../github/github-errors.ts";
import { toProblem } from "./problem.ts";
import { readJson, startTestApi, type TestApi } from "./test-server.test-helper.ts";

const cases: Array<[string, PreviewdError, number, string]> = [
  [
    "ValidationError",
    new ValidationError("bad ref", { errors: [{ path: "body.ref", message: "no" }] }),
    400,
    "validation",
  ],
  [
    "ManifestError",
    new ManifestError("preview.yaml", [{ path: "apps.api.health", message: "expected /" }]),
    422,
    "manifest",
  ],
  ["NotFoundError", new NotFoundError("no such environment"), 404, "not-found"],
  ["ConflictError", new ConflictError("already deleting"), 409, "conflict"],
  ["UnauthorizedError", new UnauthorizedError("no token"), 401, "unauthorized"],
  ["SourceError", new SourceError("unreachable remote"), 422, "source"],
  ["ProvisionError", new ProvisionError("build failed", "build", "web", ["npm ERR!"]), 500, "provision"],
  ["RuntimeUnavailableError", new RuntimeUnavailableError("no docker engine"), 503, "runtime-unavailable"],
  ["BrowserUnavailableError", new BrowserUnavailableError("no Chromium"), 503, "browser-unavailable"],
  ["GitHubNotConfiguredError", new GitHubNotConfiguredError("no token"), 503, "github-not-configured"],
  ["CdpError", new CdpError("the browser connection closed"), 502, "cdp"],
  ["GitHubApiError", new GitHubApiError("GitHub answered 500"), 502, "github"],
  ["TooManyBrowsersError", new TooManyBrowsersError("every slot is busy", 5), 429, "too-many-browsers"],
  ["NavigationError", new NavigationError("timed out", 504, "http://web/"), 504, "navigation"],
];

describe("toProblem", () => {
  it.each(cases)("maps %s to its own status and type", (_name, error, status, type) => {
    expect(toProblem(error)).toMatchObject({ status, type, detail: error.message });
  });

  it("keeps field errors and provisioning details", () => {
    expect(toProblem(cases[0]![1]).errors).toEqual([{ path: "body.ref", message: "no" }]);
    expect(toProblem(cases[1]![1]).errors).toEqual([{ path: "apps.api.health", message: "expected /" }]);
    expect(toProblem(cases[6]![1])).toMatchObject({ step: "build", app: "web", logTail: ["npm ERR!"] });
  });

  it("caps what an error can make it answer: 20 field errors and their count, short texts", () => {
    const errors = Array.from({ length: 10_000 }, (_, n) => ({
      path: `flag-${n}`,
      message: `unknown flag flag-${n}; declared flags: ${"x".repeat(1000)}`,
    }));
    const problem = toProblem(new ValidationError("d".repeat(100_000), { errors }));
    expect(problem.errors).toHaveLength(20);
    expect(problem.errorCount).toBe(10_000);
    expect(problem.errors![0]!.path).toBe("flag-0");
    expect(problem.errors![0]!.message.length).toBeLessThanOrEqual(300);
    expect(problem.detail!.length).toBeLessThanOrEqual(2000);
    expect(JSON.stringify(problem).length).toBeLessThan(10_000);
    expect(toProblem(cases[0]![1])).not.toHaveProperty("errorCount");
  });

  it("hides unknown errors behind a generic 500", () => {
    const problem = toProblem(new Error("secret path /root/.ssh leaked"));
    expect(problem).toMatchObject({ status: 500, type: "internal" });
    expect(JSON.stringify(problem)).not.toContain("secret");
    expect(toProblem("a string").status).toBe(500);
    expect(toProblem(null).status).toBe(500);
  });

  it("only trusts exposed 4xx errors from middleware", () => {
    expect(toProblem(Object.assign(new Error("x"), { status: 415, expose: true }))).toMatchObject({
      status: 415,
    });
    expect(toProblem(Object.assign(new Error("x"), { status: 502, expose: false })).status).toBe(500);
  });
});

describe("problems over HTTP", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(cases)(
    "answers %s thrown by the orchestrator as problem+json",
    async (_name, error, status, type) => {
      api.orchestrator.failWith("get", error);
      const response = await api.request("/v1/environments/env-1");
      expect(response.status).toBe(status);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(await readJson(response)).toMatchObject({ type, status, detail: error.message });
    },
  );

  it("answers an unexpected error as a generic 500 without a stack", async () => {
    api.orchestrator.failWith("list", new TypeError("cannot read properties of undefined"));
    const response = await api.request("/v1/environments");
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).not.toMatch(/cannot read|at .*\.ts/);
    api.orchestrator.failWith("list", undefined);
  });

  it("answers JSON nested 100,000 deep as 400, not 500, and 64 deep as usual", async () => {
    const deep = (depth: number) => `{"repo":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    const post = (body: string) =>
      api.request("/v1/environments", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
    const refused = await post(deep(100_000));
    expect(refused.status).toBe(400);
    expect(await readJson(refused)).toMatchObject({ type: "validation", errors: [{ path: "body" }] });
    const shallow = await post(deep(62));
    expect(shallow.status).toBe(400);
    expect((await readJson(shallow)).errors[0].path).toBe("repo");
  });

  it("answers a malformed percent-encoding in a route parameter as 400, not 500", async () => {
    const response = await api.request("/v1/environments/%E0%A4%A");
    expect(response.status).toBe(400);
    expect(await readJson(response)).toMatchObject({ type: "validation", errors: [{ path: "params" }] });
  });
});
