/**
 * Held starts on the docker runtime (provisioner/runtimes/docker/held-start.ts): an app's first
 * container is started ahead, but its process waits in it until what it depends on is healthy,
 * as `depends_on` asks; once released, a restart of that container runs the app at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, skipDocker } from "./helpers/docker-engine.ts";
import { createDockerFixture, fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { eventually } from "./helpers/processes.ts";

/** ms of the first line of the container's output that contains `text` (the engine's timestamps). */
async function firstLineAt(containerId: string, text: string): Promise<number> {
  const output = await docker
    .getContainer(containerId)
    .logs({ stdout: true, stderr: true, timestamps: true });
  const line = output
    .toString("latin1")
    .split("\n")
    .find((l) => l.includes(text));
  const ts = /(\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(line ?? "")?.[1];
  if (!ts) throw new Error(`no line with ${text} in the container's output`);
  return Date.parse(ts);
}

describe.skipIf(skipDocker)("held starts of a docker environment", () => {
  let harness: DockerHarness;
  let repo: GitFixture;
  let env: EnvironmentView;
  const orchestrator = () => harness.previewd.orchestrator;
  const containerOf = (app: string) =>
    orchestrator().record(env.id).deployment!.apps[app]!.handle.containerId as string;

  beforeAll(async () => {
    harness = await startDockerHarness();
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    repo = await createDockerFixture("held");
    const created = await harness.create({ repo: repo.dir, ref: "main", runtime: "docker" }, 240);
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  it("runs an app's process only once what it depends on is healthy", async () => {
    const events = orchestrator().events(env.id);
    const at = (step: string, name: string) => {
      const event = events.find((e) => e.step === step && e.app === name && e.status === "succeeded");
      if (!event) throw new Error(`no ${step} succeeded event for ${name}`);
      return Date.parse(event.ts);
    };
    for (const app of ["api", "web"]) {
      // Started ahead, held: its first process is the waiting shell, which then ran the image's command.
      const info = await docker.getContainer(containerOf(app)).inspect();
      expect(info.Config.Entrypoint?.[0]).toBe("/bin/sh");
      expect(info.Config.Cmd).toEqual(["node", "server.js"]);
    }
    expect(await firstLineAt(containerOf("api"), "api listening")).toBeGreaterThanOrEqual(
      at("services", "db"),
    );
    expect(await firstLineAt(containerOf("web"), "web listening")).toBeGreaterThanOrEqual(
      at("health", "api"),
    );
  });

  it("runs the app at once when its released container starts again", async () => {
    const container = docker.getContainer(containerOf("web"));
    await container.restart({ t: 1 });
    await eventually(async () => {
      const top = await container.top();
      expect(top.Processes?.map((p: string[]) => p.at(-1))).toEqual(["node server.js"]);
    }, 30_000);
    // It serves on the port the engine published for it anew.
    const ports = (await container.inspect()).NetworkSettings.Ports["8081/tcp"];
    const hostPort = ports?.find((p: { HostIp: string }) => p.HostIp === "127.0.0.1")?.HostPort;
    await eventually(async () => {
      expect((await fetch(`http://127.0.0.1:${hostPort}/healthz`)).status).toBe(200);
    }, 30_000);
  });
});
