/**
 * Backing services beyond Postgres on the docker runtime, end to end on a real engine: Redis from
 * its image and two `command` services built from their Dockerfiles run as containers on the
 * environment's network under their service names, the app reaches them there, a scenario load
 * empties Redis and restarts the twin clean, a redeploy runs the twin's new code, a killed Redis
 * container comes back with its data, a restarted previewd adopts them, and delete removes every
 * container. Images are local (no registry): the Node base image and a `redis:7` built from the
 * host's redis-server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { ownerIdOf } from "../provisioner/owner-id.ts";
import {
  docker,
  joinDockerSuites,
  labelledObjects,
  removeOwned,
  skipDocker,
} from "./helpers/docker-engine.ts";
import { fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy, startHarness, temporaryDataDir, type Harness } from "./helpers/previewd-harness.ts";
import { eventually } from "./helpers/processes.ts";
import { redisImage } from "./helpers/redis-image.ts";
import { servicesFixtureFiles } from "./helpers/services-fixture.ts";

describe.skipIf(skipDocker)("redis and command services on the docker runtime", () => {
  // Not startDockerHarness: a restarted previewd must find the containers its first run left.
  const dataDir = temporaryDataDir();
  let leave: () => Promise<void>;
  let harness: Harness;
  let repo: GitFixture;
  let env: EnvironmentView;

  const containerOf = (name: string) => docker.getContainer(`previewd-${env.id}-${name}`);
  async function api(route: string): Promise<string> {
    const reply = await getViaProxy(harness.url, new URL(env.apps.api!.url).host, route);
    expect(reply.status, `${route}: ${reply.body}`).toBe(200);
    return reply.body;
  }

  beforeAll(async () => {
    leave = await joinDockerSuites();
    harness = await startHarness({ dataDir });
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    await redisImage(docker);
    repo = await createGitRepo(servicesFixtureFiles({ baseImage: fixtureBaseImage }));
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await leave?.();
    await removeOwned(ownerIdOf(dataDir));
    await repo?.remove();
  });

  it(
    "runs each service as a container on the network under its name, as the app sees it",
    { timeout: 300_000 },
    async () => {
      const created = await harness.create({ repo: repo.dir, ref: "main", runtime: "docker" }, 240);
      env = created.body;
      expect(env.status, JSON.stringify(env.error)).toBe("ready");
      expect(env.services).toEqual({
        cache: { type: "redis", status: "running" },
        twin: { type: "command", status: "running" },
        mailer: { type: "command", status: "running" },
      });

      const seen = JSON.parse(await api("/env")) as Record<string, string>;
      expect(seen).toMatchObject({
        CACHE_URL: "redis://cache:6379",
        TWIN_URL: "http://twin:9090",
        TWIN_ADDRESS: "twin:9090",
        MAILER_URL: "http://mailer:2525",
      });
      expect(await api("/cache?set=before")).toBe("OK");
      expect(await api("/cache")).toBe('"before"');
      expect(await api("/charge")).toBe("[1]");
      expect(await api("/charges")).toBe("[1]");
      expect(await api("/mailer")).toBe("220 mailer ready");

      const twin = await containerOf("twin").inspect();
      expect(twin.Config.Env).toEqual(
        expect.arrayContaining([
          "HOST=0.0.0.0",
          "PORT=9090",
          `TWIN_MODE=sandbox ${env.id}`,
          "SHARED_GREETING=hello from the top",
        ]),
      );
      for (const name of ["cache", "twin", "mailer"]) {
        const info = await containerOf(name).inspect();
        expect(info.Config.Labels?.["dev.previewd.role"]).toBe("service");
        for (const bindings of Object.values(info.HostConfig.PortBindings ?? {}) as { HostIp: string }[][])
          for (const binding of bindings) expect(binding.HostIp).toBe("127.0.0.1");
      }
    },
  );

  it(
    "a scenario load empties Redis and restarts the twin, which forgets its charges",
    { timeout: 120_000 },
    async () => {
      const startedBefore = (await containerOf("twin").inspect()).State.StartedAt;
      const loaded = await harness.request<EnvironmentView>("POST", `/v1/environments/${env.id}/scenario`, {
        name: "clean",
      });
      expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
      expect(await api("/cache")).toBe("null");
      expect(await api("/charges")).toBe("[]");
      expect((await containerOf("twin").inspect()).State.StartedAt).not.toBe(startedBefore);
    },
  );

  it(
    "a redeploy that changes the twin's code runs a new twin container, and keeps Redis and its data",
    { timeout: 240_000 },
    async () => {
      const before = {
        cache: (await containerOf("cache").inspect()).Id,
        twin: (await containerOf("twin").inspect()).Id,
      };
      expect(await api("/cache?set=across")).toBe("OK");
      expect(await api("/charge")).toBe("[1]");
      const twin = servicesFixtureFiles()["twins/payments/server.js"]!;
      await repo.commit({ "twins/payments/server.js": `${twin}console.log("twin v2");\n` }, "twin v2");
      const reply = await harness.request<EnvironmentView>(
        "POST",
        `/v1/environments/${env.id}/redeploy?wait=true&timeout=200`,
      );
      expect(reply.body.status, JSON.stringify(reply.body.error)).toBe("ready");
      expect((await containerOf("twin").inspect()).Id).not.toBe(before.twin);
      expect((await containerOf("cache").inspect()).Id).toBe(before.cache);
      expect(await api("/cache")).toBe('"across"');
      expect(await api("/charges")).toBe("[]");
    },
  );

  it("a killed Redis container comes back with its data", { timeout: 120_000 }, async () => {
    expect(await api("/cache?set=kept")).toBe("OK");
    await containerOf("cache").kill();
    await eventually(async () => {
      const view = harness.previewd.orchestrator.get(env.id);
      expect(view.status).toBe("ready");
      expect((await containerOf("cache").inspect()).State.Running).toBe(true);
      expect(await api("/cache")).toBe('"kept"');
    }, 60_000);
  });

  it("a restarted previewd adopts the service containers", { timeout: 120_000 }, async () => {
    const ids = await Promise.all(
      ["cache", "twin", "mailer"].map(async (n) => (await containerOf(n).inspect()).Id),
    );
    await harness.close({ keepData: true });
    harness = await startHarness({ dataDir });
    expect(harness.previewd.orchestrator.get(env.id).status).toBe("ready");
    const after = await Promise.all(
      ["cache", "twin", "mailer"].map(async (n) => (await containerOf(n).inspect()).Id),
    );
    expect(after).toEqual(ids);
    expect(await api("/cache")).toBe('"kept"');
    expect(await api("/charge")).toBe("[1]");
  });

  it("delete removes every container of the environment", { timeout: 120_000 }, async () => {
    const deleted = await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
    expect(deleted.status).toBeLessThan(300);
    expect(await labelledObjects(ownerIdOf(dataDir), env.id)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
  });
});
