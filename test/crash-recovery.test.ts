import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { rootHome } from "../provisioner/runtimes/process/postgres-home.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { temporaryDataDir } from "./helpers/previewd-harness.ts";
import { eventually, labelledProcesses, liveProcesses, ownerIdOf } from "./helpers/processes.ts";
import { api, crash, freePort, spawnServe } from "./helpers/serve-process.ts";

const children: ChildProcess[] = [];
const dataDirs: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) await crash(child);
  // Whatever a test left, clean it the way a user would: a fresh previewd adopts, then deletes.
  for (const dataDir of dataDirs.splice(0)) {
    for (const pid of labelledProcesses({ owner: ownerIdOf(dataDir) })) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  }
});

/**
 * The environment's process-group leaders: its apps and its Postgres server, each started in a
 * group of its own. Postgres's backends and autovacuum workers come and go inside its group.
 */
function groupLeaders(envId: string): number[] {
  const labelled = new Set(labelledProcesses(envId));
  return liveProcesses()
    .filter((p) => labelled.has(p.pid) && Number(p.stat[2]) === p.pid)
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

/** Where an environment's Postgres data may live: its data dir, or as root postgres-home.ts's place. */
function clusterPlaces(dataDir: string, envId: string): string[] {
  return [
    path.join(dataDir, "environments", envId, "services"),
    path.join(rootHome, ownerIdOf(dataDir), "environments", envId),
  ];
}

/** What lies in previewd's worktree folder: the data dir's, or as root runner-places.ts's place. */
function worktrees(dataDir: string): string[] {
  return [path.join(dataDir, "worktrees"), path.join(rootHome, ownerIdOf(dataDir), "worktrees")].flatMap(
    (dir) => (existsSync(dir) ? readdirSync(dir) : []),
  );
}

async function start(dataDir: string, port: number): Promise<ChildProcess> {
  const child = await spawnServe(dataDir, port);
  children.push(child);
  return child;
}

describe("kill -9 of previewd, then a restart", () => {
  it("mid-provision: leaves no orphan process and a consistent, failed environment that can be retried", async () => {
    // The web app takes its time to start, so there is a window in which previewd dies mid-provision.
    const repo = createFixtureRepo({ webStart: "sleep 4 && node server.js" });
    const dataDir = temporaryDataDir();
    dataDirs.push(dataDir);
    const port = await freePort();
    const first = await start(dataDir, port);

    const created = await api<EnvironmentView>(port, "POST", "/v1/environments", {
      repo: repo.dir,
      ref: "main",
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Wait until Postgres and the api run and the web app is starting: previewd is mid-provision.
    await eventually(() => expect(labelledProcesses(id).length).toBeGreaterThanOrEqual(3), 60_000);
    expect((await api<EnvironmentView>(port, "GET", `/v1/environments/${id}`)).body.status).toBe(
      "provisioning",
    );
    expect(clusterPlaces(dataDir, id).some((dir) => existsSync(dir))).toBe(true);
    expect(worktrees(dataDir)).toHaveLength(1);
    await crash(first);
    expect(labelledProcesses(id).length).toBeGreaterThan(0); // the orphans exist until previewd comes back

    await start(dataDir, port);
    const after = await api<EnvironmentView>(port, "GET", `/v1/environments/${id}`);
    expect(after.body.status).toBe("failed");
    expect(after.body.error).toMatchObject({ step: "provisioning" });
    await eventually(() => expect(labelledProcesses({ owner: ownerIdOf(dataDir) })).toEqual([]));
    expect(worktrees(dataDir)).toEqual([]);
    expect(clusterPlaces(dataDir, id).filter((dir) => existsSync(dir))).toEqual([]);

    // Asking again retries from nothing and works.
    const retried = await api<EnvironmentView>(port, "POST", "/v1/environments?wait=true&timeout=120", {
      repo: repo.dir,
      ref: "main",
    });
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id, status: "ready", error: null });
    await api(port, "DELETE", `/v1/environments/${id}?wait=true`);
    expect(labelledProcesses({ owner: ownerIdOf(dataDir) })).toEqual([]);
  });

  it("when ready: adopts the running environment, which keeps serving and can be deleted", async () => {
    const repo = createFixtureRepo();
    const dataDir = temporaryDataDir();
    dataDirs.push(dataDir);
    const port = await freePort();
    const first = await start(dataDir, port);
    const env = (
      await api<EnvironmentView>(port, "POST", "/v1/environments?wait=true&timeout=120", { repo: repo.dir })
    ).body;
    expect(env.status).toBe("ready");
    const leaders = groupLeaders(env.id);
    expect(leaders.length).toBeGreaterThanOrEqual(3); // db, api, web
    await crash(first);

    await start(dataDir, port);
    const after = (await api<EnvironmentView>(port, "GET", `/v1/environments/${env.id}`)).body;
    expect(after).toMatchObject({ status: "ready", commit: env.commit });
    // Adopted, not restarted: the very same processes.
    expect(groupLeaders(env.id)).toEqual(leaders);
    expect(await (await fetch(after.apps.web!.directUrl!)).text()).toContain("<h1 id=version>main</h1>");

    const deleted = await api(port, "DELETE", `/v1/environments/${env.id}?wait=true`);
    expect(deleted.status).toBeLessThan(300);
    expect(labelledProcesses({ owner: ownerIdOf(dataDir) })).toEqual([]);
    expect(clusterPlaces(dataDir, env.id).filter((dir) => existsSync(dir))).toEqual([]);
  });
});
