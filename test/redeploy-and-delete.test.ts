import { existsSync } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { eventually, isPortOpen, labelledProcesses } from "./helpers/processes.ts";

let harness: Harness;
let repo: FixtureRepo;

beforeAll(async () => {
  repo = createFixtureRepo({ version: "v1" });
  harness = await startHarness({ reapIntervalMs: 200 });
});
afterAll(async () => harness?.close());

const pidOf = async (url: string) => ((await (await fetch(`${url}/info`)).json()) as { pid: number }).pid;

// Four environments of their own (main, shared by the redeploy tests in order, and one per delete
// test), on separate branches: created and checked side by side. Creates at once take longer each.
describe.concurrent("redeploy and delete, side by side", { timeout: 180_000 }, () => {
  describe("redeploy", () => {
    it.sequential("restarts only the app whose code changed, and keeps the data", async () => {
      const env = (await harness.create({ repo: repo.dir, ref: "main" })).body;
      expect(env.status).toBe("ready");
      await fetch(`${env.apps.api!.directUrl}/notes`, {
        method: "POST",
        body: JSON.stringify({ text: "kept" }),
      });
      const apiPid = await pidOf(env.apps.api!.directUrl!);
      const webPid = await pidOf(env.apps.web!.directUrl!);

      const commit = repo.commit({ "apps/web/version.txt": "v2" }, "web v2");
      const accepted = await harness.request<EnvironmentView>("POST", `/v1/environments/${env.id}/redeploy`);
      expect(accepted.status).toBe(202);
      const ready = await harness.previewd.orchestrator.waitFor(env.id, ["ready", "failed"], 60_000);
      // waitFor may answer before the queued update starts: wait for the new commit.
      const updated = await eventually(async () => {
        const current = (await harness.request<EnvironmentView>("GET", `/v1/environments/${env.id}`)).body;
        expect(current).toMatchObject({ commit, status: "ready" });
        return current;
      }, 60_000);
      expect(ready.error).toBeNull();

      expect(await (await fetch(updated.apps.web!.directUrl!)).text()).toContain("<h1 id=version>v2</h1>");
      expect(await pidOf(updated.apps.web!.directUrl!)).not.toBe(webPid);
      expect(await pidOf(updated.apps.api!.directUrl!)).toBe(apiPid);
      expect(await (await fetch(`${updated.apps.api!.directUrl}/notes`)).json()).toEqual(["kept"]);
      // Not handed over again (the checkout wrote as the apps' user), yet all theirs, the new file too.
      const worktree = harness.previewd.orchestrator.record(env.id).worktreePath!;
      const runner = (await lstat(worktree)).uid;
      if (process.getuid?.() === 0) expect(runner).not.toBe(0);
      const others: string[] = [];
      for (const entry of await readdir(worktree, { recursive: true }))
        if ((await lstat(path.join(worktree, entry))).uid !== runner) others.push(entry);
      expect(others).toEqual([]);
    });

    it.sequential(
      "with wait=true answers once the new commit is ready, and the new code serves",
      async () => {
        const env = (await harness.create({ repo: repo.dir, ref: "main" })).body;
        const commit = repo.commit({ "apps/web/version.txt": "waited" }, "web waited");
        const reply = await harness.request<EnvironmentView>(
          "POST",
          `/v1/environments/${env.id}/redeploy?wait=true&timeout=120`,
        );
        expect(reply.status).toBe(200);
        expect(reply.body, JSON.stringify(reply.body.error)).toMatchObject({
          commit,
          status: "ready",
          error: null,
        });
        expect(await (await fetch(reply.body.apps.web!.directUrl!)).text()).toContain(
          "<h1 id=version>waited</h1>",
        );
      },
    );

    it.sequential("updates the environment when asked again after the ref moved", async () => {
      const before = (await harness.create({ repo: repo.dir, ref: "main" })).body;
      const commit = repo.commit({ "apps/web/version.txt": "v3" }, "web v3");
      const again = await harness.request<EnvironmentView>("POST", "/v1/environments", {
        repo: repo.dir,
        ref: "main",
      });
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(before.id);
      await eventually(async () => {
        const current = (await harness.request<EnvironmentView>("GET", `/v1/environments/${before.id}`)).body;
        expect(current).toMatchObject({ commit, status: "ready" });
      }, 60_000);
      expect(await (await fetch(before.apps.web!.directUrl!)).text()).toContain("v3");
    });
  });

  describe("delete", () => {
    it("frees every port, process, worktree and database", async () => {
      repo.git("branch", "to-delete", "main");
      const env = (await harness.create({ repo: repo.dir, ref: "to-delete" })).body;
      expect(env.status).toBe("ready");
      const ports = Object.values(env.apps).map((a) => Number(new URL(a.directUrl!).port));
      const dbUrl = (
        (await (await fetch(`${env.apps.api!.directUrl}/info`)).json()) as { env: Record<string, string> }
      ).env.DATABASE_URL!;
      ports.push(Number(new URL(dbUrl).port));
      expect(labelledProcesses(env.id).length).toBeGreaterThanOrEqual(3);
      const worktree = harness.previewd.orchestrator.record(env.id).worktreePath!;
      expect(existsSync(worktree)).toBe(true);

      // Someone following the environment's events sees the stream end with the environment.
      const events = await fetch(`${harness.url}/v1/environments/${env.id}/events`);
      const ended = (async () => {
        let text = "";
        const decoder = new TextDecoder();
        for await (const chunk of events.body!) text += decoder.decode(chunk as Uint8Array);
        return text;
      })();

      const reply = await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
      expect(await ended).toContain('"step":"delete"');
      expect(reply.status).toBeLessThan(300);
      expect((await harness.request("GET", `/v1/environments/${env.id}`)).status).toBe(404);
      expect(labelledProcesses(env.id)).toEqual([]);
      for (const port of ports) expect(await isPortOpen(port)).toBe(false);
      expect(existsSync(path.join(harness.dataDir, "environments", env.id))).toBe(false);
      expect(existsSync(worktree)).toBe(false);
      expect(repo.git("worktree", "list")).not.toContain("to-delete");
    });

    it("deletes an environment by itself when its time to live has passed", async () => {
      repo.git("branch", "short-lived", "main");
      const reply = await harness.request<EnvironmentView>("POST", "/v1/environments", {
        repo: repo.dir,
        ref: "short-lived",
        ttl: 1,
      });
      expect(reply.status).toBe(201);
      expect(Date.parse(reply.body.expiresAt!) - Date.parse(reply.body.createdAt)).toBe(1000);
      await harness.previewd.orchestrator.waitForDeletion(reply.body.id, 60_000);
      expect(labelledProcesses(reply.body.id)).toEqual([]);
    });

    it("extends, keeps and shortens an environment's life with PATCH", async () => {
      repo.git("branch", "kept", "main");
      const env = (await harness.create({ repo: repo.dir, ref: "kept", ttl: "1h" })).body;
      expect(Date.parse(env.expiresAt!) - Date.parse(env.createdAt)).toBe(3600_000);
      const kept = await harness.request<EnvironmentView>("PATCH", `/v1/environments/${env.id}`, {
        ttl: null,
      });
      expect(kept.body.expiresAt).toBeNull();
      const shortened = await harness.request<EnvironmentView>("PATCH", `/v1/environments/${env.id}`, {
        ttl: 1,
      });
      expect(shortened.status).toBe(200);
      await harness.previewd.orchestrator.waitForDeletion(env.id, 30_000);
      expect(labelledProcesses(env.id)).toEqual([]);
    });
  });
});
