/**
 * previewd supervises the containers it started: an app or Postgres container killed behind its
 * back (`docker kill`) shows as crashed, the environment as degraded, and previewd starts the same
 * container again (Postgres with its volume, so its data) until the environment is ready again.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  EnvironmentEvent,
  EnvironmentStatus,
  EnvironmentView,
} from "../provisioner/environments/environment-schema.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, skipDocker } from "./helpers/docker-engine.ts";
import { createDockerFixture, fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { startDockerHarness, type DockerHarness } from "./helpers/docker-harness.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy } from "./helpers/previewd-harness.ts";
import { eventually } from "./helpers/processes.ts";

async function query(url: string, sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.skipIf(skipDocker)("supervision of a docker environment", () => {
  let harness: DockerHarness;
  let repo: GitFixture;
  let env: EnvironmentView;
  const statuses: EnvironmentStatus[] = [];
  const events: { event: EnvironmentEvent; view: EnvironmentView }[] = [];

  const orchestrator = () => harness.previewd.orchestrator;
  const deployed = () => orchestrator().record(env.id).deployment!;
  const failed = (name: string) =>
    events.find((e) => e.event.step === "supervise" && e.event.app === name && e.event.status === "failed");

  beforeAll(async () => {
    harness = await startDockerHarness();
    await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
    repo = await createDockerFixture("v1");
    const created = await harness.create({ repo: repo.dir, ref: "main", runtime: "docker" }, 240);
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    orchestrator().onStatusChange((id, status) => {
      if (id === env.id) statuses.push(status);
    });
    orchestrator().subscribe(env.id, (event) => events.push({ event, view: orchestrator().get(env.id) }));
  }, 300_000);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  it("starts an app container again after docker kill; degraded meanwhile, then ready", async () => {
    statuses.length = 0;
    events.length = 0;
    const id = deployed().apps.api!.handle.containerId as string;
    await docker.getContainer(id).kill();

    await eventually(() => expect(statuses).toEqual(["degraded", "ready"]), 60_000);
    expect(failed("api")?.event.message).toMatch(/^app crashed: its container exited with code 137/);
    expect(failed("api")?.view.apps.api?.status).toBe("crashed");
    expect(deployed().apps.api!.handle.containerId).toBe(id);
    expect((await docker.getContainer(id).inspect()).State.Running).toBe(true);
    // web still reaches api by its name on the environment's network.
    const page = await getViaProxy(harness.url, new URL(env.apps.web!.url).host, "/");
    expect(page.body).toContain("api v1");
  });

  it("starts Postgres's container again after docker kill, with its data", async () => {
    await query(
      deployed().services.db!.url,
      "create table kept (note text); insert into kept values ('still here')",
    );
    statuses.length = 0;
    events.length = 0;
    await docker.getContainer(deployed().services.db!.handle.containerId as string).kill();

    await eventually(() => {
      expect(statuses[0]).toBe("degraded");
      expect(orchestrator().get(env.id)).toMatchObject({
        status: "ready",
        services: { db: { status: "running" } },
      });
    }, 60_000);
    expect(failed("db")?.view.services.db?.status).toBe("crashed");
    // Its loopback port may be new; the record says where it is now.
    expect(await query(deployed().services.db!.url, "select note from kept")).toEqual([
      { note: "still here" },
    ]);
    expect(await fetch(`${orchestrator().get(env.id).apps.api!.directUrl}/db`).then((r) => r.text())).toBe(
      "db reachable at db",
    );
  });
});
