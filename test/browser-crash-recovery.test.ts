/**
 * A browser previewd started for an environment is found again after previewd is killed with -9:
 * the restarted previewd stops the old browser (a browser holds no state worth adopting), keeps
 * the environment, and starts a new browser on the next use.
 */
import type { ChildProcess } from "node:child_process";
import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { requireChromium } from "./helpers/chromium.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { temporaryDataDir } from "./helpers/previewd-harness.ts";
import { eventually, labelledProcesses, liveProcesses, ownerIdOf } from "./helpers/processes.ts";
import { api, crash, freePort, spawnServe } from "./helpers/serve-process.ts";

requireChromium();

const dataDir = temporaryDataDir();
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) await crash(child);
  for (const pid of labelledProcesses({ owner: ownerIdOf(dataDir) })) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

/** Pids of the browser processes labelled with the environment. */
const browsers = (envId: string): number[] =>
  liveProcesses()
    .filter(
      (p) => p.environ.includes(`PREVIEWD_ENV_ID=${envId}`) && p.environ.includes("PREVIEWD_ROLE=browser"),
    )
    .map((p) => p.pid);

async function start(port: number): Promise<ChildProcess> {
  const child = await spawnServe(dataDir, port);
  children.push(child);
  return child;
}

describe("kill -9 of previewd while an environment's browser runs", () => {
  it("the restarted previewd stops the old browser, keeps the environment, and starts a new browser on use", async () => {
    const repo = createFixtureRepo();
    const port = await freePort();
    const first = await start(port);
    const created = await api<EnvironmentView>(port, "POST", "/v1/environments?wait=true&timeout=120", {
      repo: repo.dir,
      ref: "main",
    });
    expect(created.body.status).toBe("ready");
    const id = created.body.id;
    const version = await api<{ Browser: string }>(
      port,
      "GET",
      `/v1/environments/${id}/devtools/json/version`,
    );
    expect(version.status).toBe(200);
    const old = browsers(id);
    expect(old.length).toBeGreaterThan(0);

    await crash(first);
    expect(browsers(id).filter((pid) => old.includes(pid)).length).toBeGreaterThan(0); // orphans, until a restart

    await start(port);
    await eventually(() => expect(browsers(id)).toEqual([]), 15_000);
    const after = await api<EnvironmentView>(port, "GET", `/v1/environments/${id}`);
    expect(after.body.status).toBe("ready");

    const again = await api<{ Browser: string }>(port, "GET", `/v1/environments/${id}/devtools/json/version`);
    expect(again.status).toBe(200);
    const fresh = browsers(id);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.filter((pid) => old.includes(pid))).toEqual([]);

    expect((await api(port, "DELETE", `/v1/environments/${id}?wait=true`)).status).toBe(204);
    await eventually(() => expect(labelledProcesses({ owner: ownerIdOf(dataDir) })).toEqual([]), 15_000);
  });
});
