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

// This machine has no pulumi CLI, no kubeconfig and no registry configured (docs/kubernetes.md).
describe("asking for the kubernetes runtime where it cannot run", () => {
  it("answers 503 runtime-unavailable naming the pulumi CLI and docs/kubernetes.md, and creates nothing", async () => {
    const reply = await harness.request<{ type: string; status: number; title: string; detail: string }>(
      "POST",
      "/v1/environments?wait=true",
      { repo: repo.dir, runtime: "kubernetes" },
    );

    expect(reply.status).toBe(503);
    expect(reply.headers.get("content-type")).toContain("application/problem+json");
    expect(reply.body).toMatchObject({ type: "runtime-unavailable", status: 503 });
    expect(reply.body.detail).toContain("kubernetes runtime is not available");
    expect(reply.body.detail).toContain("the pulumi CLI");
    expect(reply.body.detail).toContain("PREVIEWD_KUBERNETES_REGISTRY");
    expect(reply.body.detail).toContain("docs/kubernetes.md");
    expect(reply.body.detail).toContain('use runtime "process" or "docker"');
    expect(harness.previewd.orchestrator.list()).toEqual([]);
    const worktrees = path.join(harness.dataDir, "worktrees");
    expect(existsSync(worktrees) ? readdirSync(worktrees) : []).toEqual([]);
    // Nothing Pulumi-side was made either: no passphrase, no backend under the data dir.
    expect(existsSync(path.join(harness.dataDir, "pulumi-passphrase"))).toBe(false);
    expect(existsSync(path.join(harness.dataDir, "pulumi"))).toBe(false);
  });
});
