/**
 * previewd supervises what it started (process runtime): an app or Postgres killed with -9
 * shows as crashed and the environment as degraded, previewd restarts it (Postgres on its port,
 * with its data) and the environment is ready again; stopping the old process during a redeploy
 * is not a crash; a restarted previewd supervises the environments it adopts.
 */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  EnvironmentEvent,
  EnvironmentStatus,
  EnvironmentView,
} from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { getViaProxy, startHarness, temporaryDataDir, type Harness } from "./helpers/previewd-harness.ts";
import { alive, eventually } from "./helpers/processes.ts";
import { freePort } from "./helpers/serve-process.ts";

/** What the supervision reported, each with the environment as the API showed it at that moment. */
interface Seen {
  statuses: EnvironmentStatus[];
  events: { event: EnvironmentEvent; view: EnvironmentView }[];
}

describe("supervision of a process environment", () => {
  let harness: Harness;
  let repo: FixtureRepo;
  let env: EnvironmentView;
  let dataDir: string;
  let port: number;
  const seen: Seen = { statuses: [], events: [] };

  const orchestrator = () => harness.previewd.orchestrator;
  const handle = (kind: "apps" | "services", name: string) =>
    orchestrator().record(env.id).deployment![kind][name]!.handle as Record<string, number | string>;
  const supervise = () => seen.events.filter((e) => e.event.step === "supervise");

  const listen = () => {
    orchestrator().onStatusChange((id, status) => {
      if (id === env.id) seen.statuses.push(status);
    });
    orchestrator().subscribe(env.id, (event) =>
      seen.events.push({ event, view: orchestrator().get(env.id) }),
    );
  };

  beforeAll(async () => {
    dataDir = temporaryDataDir();
    port = await freePort();
    harness = await startHarness({ dataDir, port });
    repo = createFixtureRepo();
    const created = await harness.create({ repo: repo.dir, ref: "main" });
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    listen();
  }, 120_000);

  afterAll(async () => {
    await harness?.close();
    if (repo) rmSync(repo.dir, { recursive: true, force: true });
  });

  it("restarts an app whose process group was killed with -9; degraded meanwhile, then ready", async () => {
    seen.statuses.length = 0;
    seen.events.length = 0;
    const before = handle("apps", "web");
    process.kill(-Number(before.pgid), "SIGKILL");

    await eventually(() => expect(seen.statuses).toEqual(["degraded", "ready"]), 30_000);
    const crashed = supervise().find((e) => e.event.status === "failed");
    expect(crashed?.event).toMatchObject({ app: "web", message: expect.stringMatching(/^app crashed/) });
    expect(crashed?.view.apps.web?.status).toBe("crashed");
    expect(crashed?.view.status).toBe("degraded");
    expect(supervise().map((e) => e.event.status)).toEqual(["failed", "info", "started", "succeeded"]);

    const now = orchestrator().get(env.id);
    expect(now.apps.web).toMatchObject({ status: "healthy", directUrl: env.apps.web!.directUrl });
    const after = handle("apps", "web");
    expect(after.pid).not.toBe(before.pid);
    expect(alive(Number(after.pid))).toBe(true);
    const proxied = await getViaProxy(harness.url, new URL(env.apps.web!.url).host, "/healthz");
    expect(proxied.status).toBe(200);

    // Each restart is a `previewd` log line too.
    const logs = await harness.request<string>(
      "GET",
      `/v1/environments/${env.id}/logs?app=previewd&grep=supervise%20web`,
    );
    expect(logs.body).toContain("supervise web started: app restarting (#1)");
  });

  it("restarts Postgres killed with -9 on the same port with its data, and the api answers again", async () => {
    const api = env.apps.api!.directUrl!;
    const inserted = await fetch(`${api}/notes`, { method: "POST", body: JSON.stringify({ text: "kept" }) });
    expect(inserted.status).toBe(201);
    seen.statuses.length = 0;
    seen.events.length = 0;
    const before = handle("services", "db");
    process.kill(Number(before.pid), "SIGKILL");

    // The api may crash too when its connections drop; either way, all comes back.
    await eventually(() => {
      const view = orchestrator().get(env.id);
      expect(view.status).toBe("ready");
      expect(view.services.db?.status).toBe("running");
      expect(handle("services", "db").pid).not.toBe(before.pid);
    }, 60_000);
    expect(seen.statuses[0]).toBe("degraded");
    const crashed = supervise().find((e) => e.event.app === "db" && e.event.status === "failed");
    expect(crashed?.event.message).toMatch(/^service crashed/);
    expect(crashed?.view.services.db?.status).toBe("crashed");
    expect(supervise().some((e) => e.event.app === "db" && e.event.status === "succeeded")).toBe(true);

    const after = handle("services", "db");
    expect({ port: after.port, dataDir: after.dataDir }).toEqual({
      port: before.port,
      dataDir: before.dataDir,
    });
    const notes = await eventually(async () => {
      const reply = await fetch(`${api}/notes`);
      expect(reply.status).toBe(200);
      return (await reply.json()) as string[];
    }, 30_000);
    expect(notes).toContain("kept");
  });

  it("does not take the old process stopped by a redeploy for a crash", async () => {
    repo.commit({ "apps/web/version.txt": "second" }, "second");
    seen.statuses.length = 0;
    seen.events.length = 0;
    const before = handle("apps", "web");
    await orchestrator().redeploy(env.id);
    await eventually(() => expect(seen.statuses).toEqual(["updating", "ready"]), 60_000);
    expect(handle("apps", "web").pid).not.toBe(before.pid);
    const page = await getViaProxy(harness.url, new URL(env.apps.web!.url).host, "/");
    expect(page.body).toContain("<h1 id=version>second</h1>");
    expect(supervise()).toEqual([]);
  });

  it("supervises the environment a restarted previewd adopts", async () => {
    await harness.close({ keepData: true });
    harness = await startHarness({ dataDir, port });
    expect(orchestrator().get(env.id).status).toBe("ready");
    seen.statuses.length = 0;
    seen.events.length = 0;
    listen();
    process.kill(-Number(handle("apps", "web").pgid), "SIGKILL");

    await eventually(() => expect(seen.statuses).toEqual(["degraded", "ready"]), 30_000);
    const proxied = await getViaProxy(harness.url, new URL(env.apps.web!.url).host, "/healthz");
    expect(proxied.status).toBe(200);
  });
});
