import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, manifest, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { labelledProcesses, ownerIdOf } from "./helpers/processes.ts";

let harness: Harness;
let repo: FixtureRepo;

beforeAll(async () => {
  repo = createFixtureRepo();
  repo.checkout("broken-manifest", true);
  repo.commit(
    { "preview.yaml": manifest.replace("health: /healthz", "health: healthz") },
    "break the manifest",
  );
  repo.checkout("main");
  harness = await startHarness();
});
afterAll(async () => harness?.close());

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** Nothing changed: no environment, no worktree, no process, no environment data. */
function expectNothingChanged(): void {
  expect(harness.previewd.orchestrator.list()).toEqual([]);
  const worktrees = path.join(harness.dataDir, "worktrees");
  expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
  const environments = path.join(harness.dataDir, "environments");
  expect(existsSync(environments) ? readdirSync(environments) : []).toEqual([]);
  expect(labelledProcesses({ owner: ownerIdOf(harness.dataDir) })).toEqual([]);
}

async function expectProblem(body: unknown, status: number | "4xx", path?: string): Promise<Problem> {
  const reply = await harness.request<Problem>("POST", "/v1/environments", body);
  if (status === "4xx") expect(reply.status).toBeGreaterThanOrEqual(400);
  else expect(reply.status).toBe(status);
  expect(reply.status).toBeLessThan(500);
  expect(reply.headers.get("content-type")).toContain("application/problem+json");
  expect(reply.body).toMatchObject({
    status: reply.status,
    title: expect.any(String),
    type: expect.any(String),
  });
  if (path) expect(reply.body.errors?.map((e) => e.path)).toContain(path);
  expectNothingChanged();
  return reply.body;
}

describe("bad input gets a 4xx problem and changes nothing", () => {
  it.each([
    ["--upload-pack=touch /tmp/previewd-pwned", "option-like ref"],
    ["-h", "option-like ref"],
    ["a..b", "double dot"],
    ["x.lock", ".lock suffix"],
    ["feature\r\nx", "CR/LF"],
    ["feature x", "space"],
    ["refs/heads/", "trailing slash"],
    ["@{-1}", "reflog syntax"],
  ])("refuses the ref %j (%s)", async (ref) => {
    await expectProblem({ repo: repo.dir, ref }, 400, "ref");
    expect(existsSync("/tmp/previewd-pwned")).toBe(false);
  });

  it("refuses ext:: and other remote-helper transports", async () => {
    await expectProblem({ repo: "ext::sh -c touch% /tmp/previewd-pwned" }, 400, "repo");
    await expectProblem({ repo: "fd::3" }, 400, "repo");
    await expectProblem({ repo: "--upload-pack=touch /tmp/previewd-pwned" }, 400, "repo");
    expect(existsSync("/tmp/previewd-pwned")).toBe(false);
  });

  it("answers 4xx for a missing repo and an unknown ref", async () => {
    await expectProblem({ repo: "/nonexistent/previewd/repo" }, "4xx");
    await expectProblem({ repo: repo.dir, ref: "no-such-branch" }, 404);
  });

  it("answers 400 for malformed JSON and for a body of the wrong shape", async () => {
    const malformed = await harness.request<Problem>("POST", "/v1/environments", '{"repo": ', {
      "content-type": "application/json",
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("content-type")).toContain("application/problem+json");
    await expectProblem({}, 400, "repo");
    await expectProblem({ repo: repo.dir, runtime: "vm" }, 400, "runtime");
    await expectProblem({ repo: repo.dir, colour: "blue" }, 400);
    await expectProblem({ repo: repo.dir, ttl: "forever" }, 400, "ttl");
    await expectProblem({ repo: repo.dir, dir: "../outside" }, 400, "dir");
  });

  it("reports an invalid manifest with its field path", async () => {
    const problem = await expectProblem({ repo: repo.dir, ref: "broken-manifest" }, 422);
    expect(problem.detail).toContain('preview.yaml: apps.api.health: expected a path starting with "/"');
    expect(problem.errors).toContainEqual(expect.objectContaining({ path: "apps.api.health" }));
    expect(problem.detail).not.toMatch(/at .*\.ts:\d+/);
  });

  it("reports a missing manifest, unknown flags and wrongly typed flags", async () => {
    await expectProblem({ repo: repo.dir, dir: "apps" }, 422);
    await expectProblem({ repo: repo.dir, flags: { nope: true } }, 400, "flags.nope");
    await expectProblem({ repo: repo.dir, flags: { greeting: 3 } }, 400, "flags.greeting");
  });

  it("answers 404 problems for unknown environments", async () => {
    for (const [method, route] of [
      ["GET", "/v1/environments/nope"],
      ["DELETE", "/v1/environments/nope"],
      ["PATCH", "/v1/environments/nope"],
      ["POST", "/v1/environments/nope/redeploy"],
    ] as const) {
      const reply = await harness.request<Problem>(
        method,
        route,
        method === "PATCH" ? { ttl: null } : undefined,
      );
      expect(reply.status).toBe(404);
      expect(reply.headers.get("content-type")).toContain("application/problem+json");
    }
    expectNothingChanged();
  });
});
