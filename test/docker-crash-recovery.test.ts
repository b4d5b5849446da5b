/**
 * Crash safety on the docker runtime: after `kill -9` of previewd, the next start adopts the
 * environment's running containers and removes labelled orphans (never unlabelled containers);
 * a Docker engine restart in the middle of provisioning leaves the environment failed and clean,
 * or recovered, with nothing orphaned.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { openSync, closeSync } from "node:fs";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { ownerIdOf } from "../provisioner/owner-id.ts";
import {
  ENV_LABEL,
  NAME_LABEL,
  OWNER_LABEL,
  ROLE_LABEL,
  labelsOf,
} from "../provisioner/runtimes/docker/docker-labels.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import {
  aloneOnDocker,
  docker,
  joinDockerSuites,
  labelledObjects,
  removeOwned,
  skipDocker,
} from "./helpers/docker-engine.ts";
import { fixtureBaseImage, createDockerFixture, dockerFixtureFiles } from "./helpers/docker-fixture.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy, startHarness, temporaryDataDir } from "./helpers/previewd-harness.ts";
import { eventually } from "./helpers/processes.ts";
import { api, crash, freePort, spawnServe } from "./helpers/serve-process.ts";

function engineAnswers(): boolean {
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Stops dockerd and starts it again the way `.ci/run` does; resolves once it answers. */
async function restartDockerd(): Promise<void> {
  const pid = Number(execFileSync("pgrep", ["-xo", "dockerd"], { encoding: "utf8" }).trim());
  process.kill(pid, "SIGTERM");
  await eventually(
    () => {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      throw new Error("dockerd still running");
    },
    60_000,
    200,
  );
  const log = openSync("/tmp/previewd-test-dockerd.log", "a");
  const daemon = spawn("dockerd", [], { detached: true, stdio: ["ignore", log, log] });
  daemon.unref();
  closeSync(log);
  await eventually(
    () => {
      if (!engineAnswers()) throw new Error("dockerd not answering yet");
    },
    60_000,
    500,
  );
}

describe.skipIf(skipDocker)("crash safety on the docker runtime", () => {
  let leave: (() => Promise<void>) | undefined;
  let repo: GitFixture;

  beforeAll(async () => {
    leave = await joinDockerSuites();
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    repo = await createDockerFixture("crash");
  }, 300_000);

  afterAll(async () => {
    await repo?.remove();
    await leave?.();
  });

  it(
    "adopts running containers after kill -9 and removes labelled orphans only",
    { timeout: 300_000 },
    async () => {
      const dataDir = temporaryDataDir();
      const owner = ownerIdOf(dataDir);
      const port = await freePort();
      let serve: ChildProcess | undefined = await spawnServe(dataDir, port);
      const unlabelled = await docker.createContainer({
        Image: fixtureBaseImage,
        Cmd: ["node", "-e", "setInterval(() => {}, 1000)"],
      });
      try {
        const created = await api<EnvironmentView>(port, "POST", "/v1/environments?wait=true&timeout=180", {
          repo: repo.dir,
          runtime: "docker",
        });
        const env = created.body;
        expect(env.status, JSON.stringify(env.error)).toBe("ready");
        const before = await labelledObjects(owner, env.id);
        const ids = await Promise.all(
          before.containers.map(async (name) => (await docker.getContainer(name.slice(1)).inspect()).Id),
        );

        await crash(serve);
        serve = undefined;

        // While previewd is down: an orphan of ours (no environment claims it), and a line of output.
        const orphan = await docker.createContainer({
          Image: fixtureBaseImage,
          Cmd: ["node", "-e", "setInterval(() => {}, 1000)"],
          Labels: labelsOf({ owner, envId: "gone-env-0000", role: "app", name: "api" }),
        });
        await orphan.start();
        await unlabelled.start();
        await fetch(`${env.apps.web!.directUrl}/while-down`);

        serve = await spawnServe(dataDir, port);
        const adopted = (await api<EnvironmentView>(port, "GET", `/v1/environments/${env.id}`)).body;
        expect(adopted.status, JSON.stringify(adopted.error)).toBe("ready");
        const after = await labelledObjects(owner, env.id);
        expect(after).toEqual(before);
        const idsAfter = await Promise.all(
          after.containers.map(async (name) => (await docker.getContainer(name.slice(1)).inspect()).Id),
        );
        expect(idsAfter).toEqual(ids);
        const web = await getViaProxy(`http://127.0.0.1:${port}`, new URL(env.apps.web!.url).host);
        expect(web.status).toBe(200);
        expect(web.body).toContain("api crash");

        // Logs resume where they stopped: the line written while previewd was down, and new ones.
        const logs = await fetch(`http://127.0.0.1:${port}/v1/environments/${env.id}/logs?app=web`);
        if (logs.status !== 404) {
          await eventually(async () => {
            const text = await (
              await fetch(`http://127.0.0.1:${port}/v1/environments/${env.id}/logs?app=web`)
            ).text();
            expect(text).toContain("web served /while-down");
          });
        }

        await eventually(
          async () => {
            expect((await labelledObjects(owner, "gone-env-0000")).containers).toEqual([]);
          },
          30_000,
          500,
        );
        expect((await unlabelled.inspect()).State.Running).toBe(true);

        const deleted = await api(port, "DELETE", `/v1/environments/${env.id}?wait=true`);
        expect(deleted.status).toBeLessThan(300);
        expect(await labelledObjects(owner)).toEqual({ containers: [], networks: [], volumes: [] });
      } finally {
        if (serve) await crash(serve);
        await unlabelled.remove({ force: true }).catch(() => undefined);
        await removeOwned(owner);
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );

  it(
    "after kill -9 while an app's container is started and held, the environment is failed and nothing of it is left",
    { timeout: 300_000 },
    async () => {
      // api listens 4 s after its process starts: web's container, started ahead, is held that long.
      const files = dockerFixtureFiles("held");
      files["apps/api/server.js"] = `setTimeout(() => {\n${files["apps/api/server.js"]}\n}, 4000);\n`;
      const slowApi = await createGitRepo(files);
      const dataDir = temporaryDataDir();
      const owner = ownerIdOf(dataDir);
      const port = await freePort();
      let serve: ChildProcess | undefined = await spawnServe(dataDir, port);
      try {
        const created = await api<EnvironmentView>(port, "POST", "/v1/environments", {
          repo: slowApi.dir,
          runtime: "docker",
        });
        expect(created.status).toBe(201);
        const id = created.body.id;
        // web's container runs, its first process still the shell waiting for previewd's word.
        const webLabels = [
          `${OWNER_LABEL}=${owner}`,
          `${ENV_LABEL}=${id}`,
          `${ROLE_LABEL}=app`,
          `${NAME_LABEL}=web`,
        ];
        await eventually(
          async () => {
            const [web] = await docker.listContainers({ filters: { label: webLabels } });
            expect(web?.State).toBe("running");
            const top = await docker.getContainer(web!.Id).top();
            expect(top.Processes?.map((p: string[]) => p.at(-1))[0]).toMatch(/^\/bin\/sh -c /);
          },
          120_000,
          50,
        );
        await crash(serve);
        serve = undefined;

        serve = await spawnServe(dataDir, port);
        await eventually(
          async () => {
            const env = (await api<EnvironmentView>(port, "GET", `/v1/environments/${id}`)).body;
            expect(env.status).toBe("failed");
            expect(await labelledObjects(owner, id)).toEqual({ containers: [], networks: [], volumes: [] });
          },
          60_000,
          500,
        );
        await api(port, "DELETE", `/v1/environments/${id}?wait=true`);
        expect(await labelledObjects(owner)).toEqual({ containers: [], networks: [], volumes: [] });
      } finally {
        if (serve) await crash(serve);
        await removeOwned(owner);
        await rm(dataDir, { recursive: true, force: true });
        await slowApi.remove();
      }
    },
  );

  it(
    "survives a dockerd restart mid-provision: failed and clean, or recovered, nothing orphaned",
    { timeout: 300_000 },
    // Nothing else may use the engine while it restarts: wait for the other docker suites.
    () =>
      aloneOnDocker(async () => {
        const harness = await startHarness();
        const owner = ownerIdOf(harness.dataDir);
        try {
          const created = await harness.request<EnvironmentView>("POST", "/v1/environments", {
            repo: repo.dir,
            runtime: "docker",
          });
          expect(created.status).toBe(201);
          const id = created.body.id;
          // Restart once the environment has its first container (the database is starting).
          await eventually(
            async () => {
              expect((await labelledObjects(owner, id)).containers.length).toBeGreaterThan(0);
            },
            120_000,
            100,
          );
          await restartDockerd();
          const done = await harness.previewd.orchestrator.waitFor(id, ["ready", "failed"], 180_000);
          // Cleanup after a failure runs after the status settles: give it a moment.
          await harness.previewd.orchestrator.idle();
          const objects = await labelledObjects(owner, id);
          if (done.status === "failed") {
            expect(objects).toEqual({ containers: [], networks: [], volumes: [] });
          } else {
            expect(done.status).toBe("ready");
            const web = await getViaProxy(harness.url, new URL(done.apps.web!.url).host);
            expect(web.status).toBe(200);
          }
          await harness.request("DELETE", `/v1/environments/${id}?wait=true`);
          expect(await labelledObjects(owner)).toEqual({ containers: [], networks: [], volumes: [] });
        } finally {
          await harness.close();
          await removeOwned(owner);
        }
      }),
  );
});
