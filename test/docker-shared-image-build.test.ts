/**
 * Two environments that need the same image share one build; the build runs for whoever still
 * waits for it, so one environment giving up (its delete, or another of its builds failing) never
 * fails the other's.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestSchema, type Manifest } from "../provisioner/manifest/manifest-schema.ts";
import { ensureAppImage, planAppImage, type AppImagePlan } from "../provisioner/runtimes/docker/app-image.ts";
import { imageExists } from "../provisioner/runtimes/docker/rootfs-image.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, joinDockerSuites, skipDocker } from "./helpers/docker-engine.ts";
import { fixtureBaseImage } from "./helpers/docker-fixture.ts";

describe.skipIf(skipDocker)("an image build shared by two environments", () => {
  const owner = `shared-build-test-${process.pid}`;
  const rootDir = mkdtempSync(path.join(os.tmpdir(), "previewd-shared-build-"));
  const refs = new Set<string>();
  let leave: () => Promise<void>;
  let manifest: Manifest;

  beforeAll(async () => {
    leave = await joinDockerSuites();
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    manifest = manifestSchema.parse({
      version: 1,
      name: "sharedbuild",
      apps: { web: { path: ".", start: "node", docker: { dockerfile: "Dockerfile", port: 8080 } } },
    }) as Manifest;
  }, 300_000);

  afterAll(async () => {
    for (const ref of refs)
      await docker
        .getImage(ref)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
    await leave?.();
  });

  /** A Dockerfile that takes ~3 s to build and is new to the engine's cache. */
  async function slowPlan(): Promise<AppImagePlan> {
    writeFileSync(
      path.join(rootDir, "Dockerfile"),
      `FROM ${fixtureBaseImage}\nRUN echo ${Date.now()}-${Math.random()} > /built\nRUN node -e "setTimeout(() => {}, 3000)"\n`,
    );
    const plan = await planAppImage({ rootDir, manifest, app: "web" });
    refs.add(plan.ref);
    return plan;
  }

  const ensure = (plan: AppImagePlan, signal: AbortSignal) =>
    ensureAppImage(plan, { docker, owner, envId: "shared-build", manifest, signal, onLine: () => undefined });

  it(
    "finishes for the environment still waiting when the one that started it gives up",
    { timeout: 120_000 },
    async () => {
      const plan = await slowPlan();
      const first = new AbortController();
      const started = ensure(plan, first.signal);
      const joined = ensure(plan, new AbortController().signal);
      await sleep(500);
      first.abort(new Error("environment deleted"));
      await expect(started).rejects.toThrow("environment deleted");
      await expect(joined).resolves.toEqual({ ref: plan.ref, built: true });
      expect(await imageExists(docker, plan.ref)).toBe(true);
      const { Config } = await docker.getImage(plan.ref).inspect();
      expect(Config.Labels).toMatchObject({
        "dev.previewd.env": "shared-build",
        "dev.previewd.owner": owner,
      });
    },
  );

  it(
    "stops when every environment gave up, and the next one builds afresh",
    { timeout: 120_000 },
    async () => {
      const plan = await slowPlan();
      const controllers = [new AbortController(), new AbortController()];
      const waits = controllers.map((c) => ensure(plan, c.signal));
      await sleep(500);
      for (const c of controllers) c.abort(new Error("gone"));
      for (const wait of waits) await expect(wait).rejects.toThrow("gone");
      await sleep(500);
      expect(await imageExists(docker, plan.ref)).toBe(false);
      await expect(ensure(plan, new AbortController().signal)).resolves.toEqual({
        ref: plan.ref,
        built: true,
      });
    },
  );
});
