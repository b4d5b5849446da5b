import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

let harness: Harness;
let repo: FixtureRepo;

beforeAll(async () => {
  repo = createFixtureRepo();
  harness = await startHarness();
});
afterAll(async () => harness?.close());

describe("asking for the kubernetes runtime where it cannot run", () => {
  it("answers 503 runtime-unavailable saying why, and creates nothing", async () => {
    const reply = await harness.request<{ type: string; status: number; title: string; detail: string }>(
      "POST",
      "/v1/environments?wait=true",
      { repo: repo.dir, runtime: "kubernetes" },
    );

    expect(reply.status).toBe(503);
    expect(reply.headers.get("content-type")).toContain("application/problem+json");
    expect(reply.body).toMatchObject({ type: "runtime-unavailable", status: 503 });
    expect(reply.body.detail).toContain("kubernetes runtime is not available");
    expect(reply.body.detail).toContain('Use runtime "process" or "docker"');
    expect(harness.previewd.orchestrator.list()).toEqual([]);
    const worktrees = path.join(harness.dataDir, "worktrees");
    expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
  });
});
