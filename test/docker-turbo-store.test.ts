/**
 * examples/turbo-store on the docker runtime, end to end: its Dockerfiles (`pnpm fetch`, `pnpm
 * install --offline`, a turbo build; the web image built with build_env as a build argument) built
 * by the engine's classic builder on a local `node:20-slim` that carries corepack's pnpm and a pnpm
 * store for the lockfile, the release step in a one-shot container, Postgres, Redis (a local
 * `redis:7` from the host's redis-server) and the payments twin as containers, and every check
 * through previewd's proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { docker, labelledObjects, skipDocker } from "./helpers/docker-engine.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import { examplesNodeImage } from "./helpers/example-base-image.ts";
import { createExampleRepo } from "./helpers/example-repo.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { redisImage } from "./helpers/redis-image.ts";
import {
  expectPageBakesApiUrl,
  redeployWhilePolling,
  storeClient,
  type Books,
  type Orders,
  type StoreStatus,
} from "./helpers/turbo-store-checks.ts";

describe.skipIf(skipDocker)("examples/turbo-store on the docker runtime", () => {
  let harness: DockerHarness;
  let repo: GitFixture;
  let env: EnvironmentView;
  const store = () => storeClient(harness, env);

  beforeAll(async () => {
    harness = await startDockerHarness();
    repo = await createExampleRepo("turbo-store");
    await examplesNodeImage(docker);
    await redisImage(docker);
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  it(
    "builds the images, migrates in a release container and runs apps and services, all ready",
    { timeout: 600_000 },
    async () => {
      env = (await harness.create({ repo: repo.dir, ref: "main", runtime: "docker" }, 540)).body;
      expect(env.status, JSON.stringify(env.error)).toBe("ready");
      expect(env.services).toMatchObject({
        db: { type: "postgres", status: "running" },
        cache: { type: "redis", status: "running" },
        payments: { type: "command", status: "running" },
      });
      expect(env.apps).toMatchObject({ api: { status: "healthy" }, web: { status: "healthy" } });
      expect(env.seed?.scenario).toBe("demo");
      const steps = harness.previewd.orchestrator
        .events(env.id)
        .map((e) => `${e.step} ${e.app}: ${e.status}`);
      expect(steps).toContain("release api: succeeded");
      // db, cache, payments, api, web: the release container is gone.
      expect((await labelledObjects(harness.owner, env.id)).containers).toHaveLength(5);
    },
  );

  it("serves the page with the API's public URL baked in by the image build", async () => {
    await expectPageBakesApiUrl(harness, env);
  });

  it("answers from Postgres and Redis, and charges through the payments twin", async () => {
    expect(await store().api<StoreStatus>("GET", "/status")).toMatchObject({
      redis: "PONG",
      payments: { status: "ok", charges: 1 },
    });
    const books = await store().api<Books>("GET", "/books");
    expect(books.items).toHaveLength(5);
    expect((await store().api<Books>("GET", "/books")).views).toBe(books.views + 1);
    const order = await store().api("POST", "/orders", { bookId: 2, quantity: 1 }, 201);
    expect(order).toMatchObject({ bookId: 2, totalCents: 1250, chargeId: "ch_2" });
    expect(await store().api<Orders>("GET", "/orders")).toMatchObject({ placed: 2 });
  });

  it(
    "loads a scenario into the containers: Postgres reset, Redis flushed, the twin clean",
    { timeout: 120_000 },
    async () => {
      const loaded = await harness.request("POST", `/v1/environments/${env.id}/scenario`, { name: "empty" });
      expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
      expect(await store().api<Books>("GET", "/books")).toEqual({ items: [], views: 1 });
      expect(await store().api<Orders>("GET", "/orders")).toEqual({ items: [], placed: 0 });
      expect(await store().api<StoreStatus>("GET", "/status")).toMatchObject({ payments: { charges: 0 } });
    },
  );

  it(
    "redeploys a change to the api alone: a new api container, web's kept, no error through the proxy",
    { timeout: 400_000 },
    async () => {
      const containerOf = (app: string) =>
        harness.previewd.orchestrator.record(env.id).deployment!.apps[app]!.handle.containerId;
      const web = containerOf("web");
      const api = containerOf("api");
      const commit = await repo.commit(
        { "apps/api/src/version.ts": 'export const apiVersion = "2";\n' },
        "api 2",
      );

      const { reply, answers } = await redeployWhilePolling(harness, env, 360);

      expect(reply, JSON.stringify(reply.error)).toMatchObject({ commit, status: "ready" });
      expect(answers.filter((a) => !/^2\d\d /.test(a))).toEqual([]);
      expect(await store().api("GET", "/")).toEqual({ name: "turbo-store api", version: "2" });
      expect(containerOf("api")).not.toBe(api);
      expect(containerOf("web")).toBe(web);
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
