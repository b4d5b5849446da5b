/**
 * Backing services beyond Postgres on the process runtime, end to end with the real
 * redis-server: an app reaches Redis and a digital twin (a `command` service) through
 * `${services.*}`, the environment shows them with their type and status, a scenario load empties
 * Redis and restarts the twin clean, a killed redis-server or twin is supervised back, a
 * restarted previewd adopts them, delete leaves nothing, and a machine without redis-server
 * fails the environment with the package to install, having started nothing.
 */
import { mkdir, readdir, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy, startHarness, temporaryDataDir, type Harness } from "./helpers/previewd-harness.ts";
import { alive, eventually, labelledProcesses, ownerIdOf } from "./helpers/processes.ts";
import { freePort } from "./helpers/serve-process.ts";
import { servicesFixtureFiles } from "./helpers/services-fixture.ts";

let harness: Harness;
let repo: GitFixture;
let env: EnvironmentView;
let dataDir: string;
let port: number;

const orchestrator = () => harness.previewd.orchestrator;
const service = (name: string) => orchestrator().record(env.id).deployment!.services[name]!;
const pidOf = (name: string) => Number(service(name).handle.pid);

/** GET through previewd's proxy, as a reviewer's browser would. */
async function api(route: string): Promise<string> {
  const reply = await getViaProxy(harness.url, new URL(env.apps.api!.url).host, route);
  expect(reply.status, `${route}: ${reply.body}`).toBe(200);
  return reply.body;
}

beforeAll(async () => {
  dataDir = temporaryDataDir();
  port = await freePort();
  harness = await startHarness({ dataDir, port });
  repo = await createGitRepo(servicesFixtureFiles());
  const created = await harness.create({ repo: repo.dir, ref: "main" });
  env = created.body;
  expect(env.status, JSON.stringify(env.error)).toBe("ready");
}, 120_000);

afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

describe("redis and command services on the process runtime", () => {
  it("shows each service with its type and status, and the app reaches them by their URLs", async () => {
    expect(env.services).toEqual({
      cache: { type: "redis", status: "running" },
      twin: { type: "command", status: "running" },
      mailer: { type: "command", status: "running" },
    });
    const seen = JSON.parse(await api("/env")) as Record<string, string>;
    expect(seen.CACHE_URL).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(seen.TWIN_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(seen.TWIN_ADDRESS).toBe(new URL(seen.TWIN_URL!).host);

    expect(await api("/cache?set=before")).toBe("OK");
    expect(await api("/cache")).toBe('"before"');
    expect(await api("/charge")).toBe("[1]");
    expect(await api("/charge")).toBe("[1,2]");
    expect(await api("/mailer")).toBe("220 mailer ready");

    const logs = await harness.request<string>("GET", `/v1/environments/${env.id}/logs?app=twin`);
    expect(logs.body).toContain("twin charged #2");
  });

  it("a scenario load empties Redis and restarts the twin, which forgets its charges", async () => {
    const twinBefore = pidOf("twin");
    const events: EnvironmentEvent[] = [];
    const unsubscribe = orchestrator().subscribe(env.id, (event) => events.push(event));
    const loaded = await harness.request<EnvironmentView>("POST", `/v1/environments/${env.id}/scenario`, {
      name: "clean",
    });
    unsubscribe();
    expect(loaded.status, JSON.stringify(loaded.body)).toBe(200);
    expect(loaded.body.services.twin).toEqual({ type: "command", status: "running" });

    expect(await api("/cache")).toBe("null");
    expect(await api("/charges")).toBe("[]");
    expect(pidOf("twin")).not.toBe(twinBefore);
    expect(alive(twinBefore)).toBe(false);
    expect(events).toContainEqual(
      expect.objectContaining({ step: "services", app: "twin", status: "succeeded" }),
    );
    // The restart is on record: a restarted previewd (below) adopts the new process.
    expect(orchestrator().get(env.id).status).toBe("ready");
  });

  it("supervises redis-server and the twin: killed, each comes back on its port, Redis with its data", async () => {
    expect(await api("/cache?set=kept")).toBe("OK");
    const before = { cache: service("cache"), twin: service("twin") };
    process.kill(pidOf("cache"), "SIGKILL");
    process.kill(-pidOf("twin"), "SIGKILL");
    await eventually(() => {
      const view = orchestrator().get(env.id);
      expect(view.status).toBe("ready");
      expect(view.services.cache?.status).toBe("running");
      expect(view.services.twin?.status).toBe("running");
      expect(pidOf("cache")).not.toBe(before.cache.handle.pid);
      expect(pidOf("twin")).not.toBe(before.twin.handle.pid);
    }, 60_000);
    expect(service("cache").url).toBe(before.cache.url);
    expect(service("twin").url).toBe(before.twin.url);
    expect(await api("/cache")).toBe('"kept"');
    expect(await api("/charge")).toBe("[1]");
  });

  it("a restarted previewd adopts the services, and delete leaves nothing of them", async () => {
    const pids = { cache: pidOf("cache"), twin: pidOf("twin") };
    await harness.close({ keepData: true });
    harness = await startHarness({ dataDir, port });
    expect(orchestrator().get(env.id).status).toBe("ready");
    expect({ cache: pidOf("cache"), twin: pidOf("twin") }).toEqual(pids);
    expect(await api("/cache")).toBe('"kept"');

    const redisData = String(service("cache").handle.dataDir);
    const deleted = await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
    expect(deleted.status).toBeLessThan(300);
    expect(labelledProcesses(env.id)).toEqual([]);
    for (const pid of Object.values(pids)) expect(alive(pid)).toBe(false);
    expect(await readdir(redisData).catch(() => "gone")).toBe("gone");
  });
});

describe("a machine without redis-server", () => {
  it("fails the environment naming the package to install, with nothing started", async () => {
    // PATH: every program of this machine but redis-server (git and node stay reachable).
    const bin = path.join(os.tmpdir(), `previewd-no-redis-${process.pid}`);
    await mkdir(bin, { recursive: true });
    for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (!name.startsWith("redis-"))
          await symlink(path.join(dir, name), path.join(bin, name)).catch(() => undefined);
      }
    }
    const other = await startHarness({ dataDir: temporaryDataDir() });
    const original = process.env.PATH;
    process.env.PATH = bin;
    try {
      const created = await other.create({ repo: repo.dir, ref: "main" });
      expect(created.body.status).toBe("failed");
      expect(created.body.error).toMatchObject({ step: "services", app: "cache" });
      expect(created.body.error?.message).toContain("apt-get install redis-server");
      expect(labelledProcesses({ owner: ownerIdOf(other.dataDir) })).toEqual([]);
      const events = await other.request<string>(
        "GET",
        `/v1/environments/${created.body.id}/logs?app=previewd`,
      );
      expect(events.body).not.toMatch(/services \w+ started/);
    } finally {
      process.env.PATH = original;
      await other.close();
      await rm(bin, { recursive: true, force: true });
    }
  }, 120_000);
});
