/**
 * The docker runtime end to end on a real engine: an environment per branch as containers on
 * its own network, isolated from other environments, rebuilt image by image on redeploy, and
 * removed without a trace. Fixture images build on a local Node base image (no registry).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { networkName } from "../provisioner/runtimes/docker/docker-labels.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, labelledObjects, runIn, skipDocker } from "./helpers/docker-engine.ts";
import { fixtureBaseImage, createDockerFixture } from "./helpers/docker-fixture.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy } from "./helpers/previewd-harness.ts";
import { eventually } from "./helpers/processes.ts";

describe.skipIf(skipDocker)("environments on the docker runtime", () => {
  let harness: DockerHarness;
  let repo: GitFixture;
  let main: EnvironmentView;
  let feature: EnvironmentView;
  let baseImage: string;

  beforeAll(async () => {
    harness = await startDockerHarness();
    baseImage = await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    repo = await createDockerFixture("v1");
    await repo.commit({ "apps/web/version.txt.js": 'module.exports = "feature";\n' }, "feature", "feature/x");
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  it(
    "runs each app in its own container, published on 127.0.0.1, behind the proxy",
    { timeout: 240_000 },
    async () => {
      const created = await harness.create({ repo: repo.dir, ref: "main", runtime: "docker" });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      main = created.body;
      expect(main.status, JSON.stringify(main.error)).toBe("ready");
      expect(main.runtime).toBe("docker");
      expect(main.apps.api?.directUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const web = await getViaProxy(harness.url, new URL(main.apps.web!.url).host);
      expect(web.status).toBe(200);
      expect(web.body).toContain("<h1>web v1</h1>");
      expect(web.body).toContain("api v1"); // web → api by container name on the environment's network

      const db = await fetch(`${main.apps.api!.directUrl}/db`).then((r) => r.text());
      expect(db).toBe("db reachable at db");

      const env = (await fetch(`${main.apps.api!.directUrl}/env`).then((r) => r.json())) as Record<
        string,
        string
      >;
      expect(env.DATABASE_URL).toMatch(/^postgres:\/\/postgres:[^@]+@db:5432\/app$/);
      expect(env.PREVIEW_ENV_ID).toBe(main.id);
      expect(env.HOST).toBe("0.0.0.0"); // published ports reach the container's own interface
      expect(env.PREVIEW_FLAGS_URL).toMatch(
        new RegExp(`^http://host\\.docker\\.internal:\\d+/v1/environments/${main.id}$`),
      );

      // Flags through the environment's gateway, and nothing else of previewd's API.
      const flags = await fetch(`${main.apps.api!.directUrl}/flags`);
      expect(flags.status, await flags.clone().text()).toBe(200);
      expect(await flags.json()).toMatchObject({
        flags: expect.arrayContaining([expect.objectContaining({ key: "banner" })]),
      });
      const gateway = new URL(env.PREVIEW_FLAGS_URL!).origin;
      for (const path of ["/v1/environments", "/healthz", `/v1/environments/${main.id}`]) {
        const probe = await fetch(
          `${main.apps.api!.directUrl}/probe?url=${encodeURIComponent(gateway + path)}`,
        );
        expect(await probe.text()).toBe("reached 404");
      }

      const { containers, networks, volumes } = await labelledObjects(harness.owner, main.id);
      expect(containers.sort()).toEqual([
        `/previewd-${main.id}-api`,
        `/previewd-${main.id}-db`,
        `/previewd-${main.id}-web`,
      ]);
      expect(networks).toEqual([networkName(main.id)]);
      expect(volumes).toEqual([]); // Postgres keeps its data in its own container (postgres-container.ts).

      const api = await docker.getContainer(`previewd-${main.id}-api`).inspect();
      expect(api.HostConfig.Memory).toBe(256 * 1024 * 1024);
      expect(api.HostConfig.PidsLimit).toBe(128);
      expect(api.HostConfig.NanoCpus).toBe(1e9);
      for (const bindings of Object.values(api.HostConfig.PortBindings ?? {}) as { HostIp: string }[][])
        for (const binding of bindings) expect(binding.HostIp).toBe("127.0.0.1");

      // The request above was served; its log line arrives once the container's log is read.
      await eventually(() =>
        expect(harness.previewd.logs.query(main.id, { apps: ["web"] }).map((l) => l.line)).toContain(
          "web served /",
        ),
      );
    },
  );

  it(
    "isolates environments: a container of one cannot resolve or reach another's apps",
    { timeout: 240_000 },
    async () => {
      const created = await harness.create({ repo: repo.dir, ref: "feature/x", runtime: "docker" });
      feature = created.body;
      expect(feature.status, JSON.stringify(feature.error)).toBe("ready");
      expect(feature.id).not.toBe(main.id);
      const web = await getViaProxy(harness.url, new URL(feature.apps.web!.url).host);
      expect(web.body).toContain("<h1>web feature</h1>");

      // Same names inside each network, different containers.
      const own = await runIn(
        baseImage,
        networkName(main.id),
        "node -e \"require('dns').lookup('api',(e,a)=>console.log(e?e.code:a))\"",
      );
      const other = await runIn(
        baseImage,
        networkName(feature.id),
        "node -e \"require('dns').lookup('api',(e,a)=>console.log(e?e.code:a))\"",
      );
      expect(own.output.trim()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(other.output.trim()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(own.output.trim()).not.toBe(other.output.trim());
      // The other environment's container names do not resolve, and its addresses do not answer.
      const byName = await runIn(
        baseImage,
        networkName(main.id),
        `node -e "require('dns').lookup('previewd-${feature.id}-api',(e,a)=>console.log(e?e.code:a))"`,
      );
      // No address, whichever error the resolver gives (ENOTFOUND, or EAI_AGAIN when Docker's DNS
      // forwards the name to a slow upstream).
      expect(byName.output.trim()).toMatch(/^E[A-Z_]+$/);
      const byAddress = await fetch(
        `${main.apps.api!.directUrl}/probe?url=${encodeURIComponent(`http://${other.output.trim()}:8080/healthz`)}`,
      ).then((r) => r.text());
      expect(byAddress).toMatch(/^unreachable/);
    },
  );

  it(
    "rebuilds only the image whose inputs changed on redeploy, and keeps the others running",
    { timeout: 240_000 },
    async () => {
      const before = await docker.getContainer(`previewd-${main.id}-api`).inspect();
      // A version no earlier run built, so the content-hash cache cannot already hold web's image.
      const version = `v2-${Date.now()}`;
      await repo.commit({ "apps/web/version.txt.js": `module.exports = "${version}";\n` }, "web v2");
      // Waiting in the request: a waitFor right after a 202 may see the "ready" of before the update.
      const redeploy = await harness.request<EnvironmentView>(
        "POST",
        `/v1/environments/${main.id}/redeploy?wait=true&timeout=120`,
      );
      expect(redeploy.status).toBe(200);
      const done = redeploy.body;
      expect(done.status, JSON.stringify(done.error)).toBe("ready");
      const events = harness.previewd.orchestrator.events(main.id);
      const builds = events.filter((e) => e.step === "build" && e.status !== "started");
      expect(builds.find((e) => e.app === "web")?.status).toBe("succeeded");
      expect(builds.find((e) => e.app === "api")?.status).toBe("skipped");
      const after = await docker.getContainer(`previewd-${main.id}-api`).inspect();
      expect(after.Id).toBe(before.Id);
      const web = await getViaProxy(harness.url, new URL(main.apps.web!.url).host);
      expect(web.body).toContain(`<h1>web ${version}</h1>`);
      expect(done.apps.web?.directUrl).toBe(main.apps.web?.directUrl);
    },
  );

  it(
    "reports the failing Dockerfile step of a broken build and leaves nothing behind",
    { timeout: 240_000 },
    async () => {
      const broken = await createDockerFixture("broken");
      try {
        await broken.commit({
          "apps/web/Dockerfile":
            'FROM previewd-test-node:base\nWORKDIR /app\nCOPY apps/web/ ./\nRUN node -e "process.exit(3)"\nCMD ["node", "server.js"]\n',
        });
        const created = await harness.create({ repo: broken.dir, runtime: "docker" });
        const env = created.body;
        expect(env.status).toBe("failed");
        expect(env.error?.step).toBe("build");
        expect(env.error?.app).toBe("web");
        expect(env.error?.message).toMatch(/Step 4\/\d+ : RUN node -e "process\.exit\(3\)"/);
        expect(env.error?.logTail.join("\n")).toContain("returned a non-zero code: 3");
        expect(await labelledObjects(harness.owner, env.id)).toEqual({
          containers: [],
          networks: [],
          volumes: [],
        });
      } finally {
        await broken.remove();
      }
    },
  );

  it("deletes containers, network and volume, found by label", { timeout: 120_000 }, async () => {
    const deleted = await harness.request("DELETE", `/v1/environments/${feature.id}?wait=true`);
    expect(deleted.status).toBeLessThan(300);
    expect(await labelledObjects(harness.owner, feature.id)).toEqual({
      containers: [],
      networks: [],
      volumes: [],
    });
    // The other environment is untouched.
    expect((await labelledObjects(harness.owner, main.id)).containers).toHaveLength(3);
  });
});
