/**
 * examples/shop on the docker runtime, end to end: its three Dockerfiles built by the engine's
 * classic builder on a local `node:20-slim` (a Node base image made from the host's binaries, with
 * an npm cache for the shop's lockfile, so `npm ci` runs offline), Postgres from previewd's local
 * image, pages through the proxy, logs, flags (OFREP through the environment's gateway), a seed
 * scenario and a screenshot through the CDP bridge.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { docker, labelledObjects, skipDocker } from "./helpers/docker-engine.ts";
import { examplesNodeImage } from "./helpers/example-base-image.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import { skipWithoutChromium } from "./helpers/chromium.ts";
import { getViaProxy } from "./helpers/previewd-harness.ts";
import { eventually } from "./helpers/processes.ts";
import { repoRoot } from "./helpers/serve-process.ts";

describe.skipIf(skipDocker)("examples/shop on the docker runtime", () => {
  let harness: DockerHarness;
  let env: EnvironmentView;

  beforeAll(async () => {
    harness = await startDockerHarness();
    await examplesNodeImage(docker);
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
  });

  it(
    "builds and runs web, api and admin as containers, served through the proxy",
    { timeout: 600_000 },
    async () => {
      const created = await harness.create(
        { repo: repoRoot, worktree: repoRoot, dir: "examples/shop", runtime: "docker" },
        540,
      );
      env = created.body;
      expect(env.status, JSON.stringify(env.error)).toBe("ready");
      expect(Object.keys(env.apps).sort()).toEqual(["admin", "api", "web"]);
      const web = await getViaProxy(harness.url, new URL(env.apps.web!.url).host);
      expect(web.status).toBe(200);
      expect(web.body).toContain('id="banner"');
      const admin = await getViaProxy(harness.url, new URL(env.apps.admin!.url).host);
      expect(admin.status).toBe(200);
      const health = await getViaProxy(harness.url, new URL(env.apps.api!.url).host, "/healthz");
      expect(health.status).toBe(200);
      expect((await labelledObjects(harness.owner, env.id)).containers).toHaveLength(4);
    },
  );

  it("captures the containers' logs", { timeout: 60_000 }, async () => {
    const stored = harness.previewd.logs.query(env.id, { apps: ["api"] });
    expect(stored.length).toBeGreaterThan(0);
    const answer = await harness.request<string>(
      "GET",
      `/v1/environments/${env.id}/logs?app=api&stream=stdout`,
    );
    expect(answer.status).toBe(200);
    expect(String(answer.body).split("\n").filter(Boolean).length).toBeGreaterThan(0);
  });

  it(
    "changes a flag with no restart: web reads it over OFREP from its container",
    { timeout: 60_000 },
    async () => {
      const patched = await harness.request("PATCH", `/v1/environments/${env.id}/flags`, {
        "banner-text": "Hello from Docker",
      });
      expect(patched.status).toBe(200);
      await eventually(
        async () => {
          const web = await getViaProxy(harness.url, new URL(env.apps.web!.url).host);
          expect(web.body).toContain("Hello from Docker");
        },
        20_000,
        250,
      );
    },
  );

  it("loads a seed scenario into the containers' Postgres", { timeout: 120_000 }, async () => {
    const loaded = await harness.request("POST", `/v1/environments/${env.id}/scenario`, { name: "demo" });
    expect(loaded.status, JSON.stringify(loaded.body)).toBeLessThan(300);
    const web = await getViaProxy(harness.url, new URL(env.apps.web!.url).host);
    expect(web.body).toContain("Espresso cup");
  });

  it.skipIf(skipWithoutChromium)(
    "takes a screenshot of web through the CDP bridge",
    { timeout: 120_000 },
    async () => {
      const shot = await harness.request<{ id: string; url: string; width: number }>(
        "POST",
        `/v1/environments/${env.id}/screenshots`,
        { app: "web" },
      );
      expect(shot.status, JSON.stringify(shot.body)).toBe(201);
      const png = await fetch(new URL(shot.body.url, harness.url));
      expect(png.status).toBe(200);
      expect(
        Buffer.from(await png.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
    },
  );

  it("deletes everything it created", { timeout: 120_000 }, async () => {
    await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
    expect(await labelledObjects(harness.owner, env.id)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });
});
