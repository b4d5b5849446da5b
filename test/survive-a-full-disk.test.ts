/**
 * previewd's data dir on a disk that fills up (a small tmpfs): a state write that fails fails
 * that request or operation only, cleanly, and the next write tries again once there is space.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { mountTmpfs, skipWithoutTmpfs, type SmallDisk } from "./helpers/small-tmpfs.ts";

const manifest = `version: 1
name: disk
apps:
  web:
    start: node server.js
    health: /healthz
`;
const server = (text: string) => `import http from "node:http";
http.createServer((req, res) => res.end(req.url === "/healthz" ? "ok" : ${JSON.stringify(text)}))
  .listen(Number(process.env.PORT), process.env.HOST);
`;

let disk: SmallDisk;
let harness: Harness;
let repo: GitFixture;

const page = async (env: EnvironmentView) => (await fetch(env.apps.web!.directUrl!)).text();
const leftovers = () => readdirSync(disk.dir).filter((name) => name.endsWith(".tmp"));

describe.skipIf(skipWithoutTmpfs)("a full disk under the data dir", () => {
  beforeAll(async () => {
    disk = await mountTmpfs(64 * 1024 * 1024);
    repo = await createGitRepo({ "preview.yaml": manifest, "server.js": server("v1") });
    await repo.branch("other");
    harness = await startHarness({ dataDir: disk.dir });
  });
  afterAll(async () => {
    await disk?.free();
    if (harness) {
      for (const env of harness.previewd.orchestrator.list())
        await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
      // The data dir is the mount point: unmounted below, not removed.
      await harness.close({ keepData: true });
    }
    await disk?.unmount();
    await repo?.remove();
  });

  let first: EnvironmentView;

  it("refuses what it cannot write, changes nothing, and keeps serving", async () => {
    first = (await harness.create({ repo: repo.dir, ref: "main" })).body;
    expect(first.status).toBe("ready");
    await disk.fill();

    const refused = await harness.request<{ type: string; status: number; detail: string }>(
      "POST",
      "/v1/environments",
      { repo: repo.dir, ref: "other" },
    );
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ type: "state-write", detail: expect.stringMatching(/ENOSPC/) });
    const ids = (await harness.request<EnvironmentView[]>("GET", "/v1/environments")).body.map((e) => e.id);
    expect(ids).toEqual([first.id]);

    const deleting = await harness.request("DELETE", `/v1/environments/${first.id}`);
    expect(deleting.status).toBe(503);
    const after = (await harness.request<EnvironmentView>("GET", `/v1/environments/${first.id}`)).body;
    expect(after.status).toBe("ready");
    expect(await page(after)).toBe("v1");
    expect(leftovers()).toEqual([]);
  });

  it("fails an update it cannot record, with the error, instead of leaving it updating", async () => {
    await repo.commit({ "server.js": server("v2") }, "v2");
    const reply = await harness.request<EnvironmentView>(
      "POST",
      `/v1/environments/${first.id}/redeploy?wait=true&timeout=120`,
    );
    expect(reply.status).toBe(200);
    expect(reply.body.status).toBe("failed");
    expect(reply.body.error!.message).toMatch(/could not save its state.*ENOSPC/);
    expect(leftovers()).toEqual([]);
  });

  it("writes again once there is space: creates, redeploys and deletes work", async () => {
    await disk.free();
    const second = await harness.create({ repo: repo.dir, ref: "other" });
    expect(second.status).toBe(201);
    expect(second.body.status, JSON.stringify(second.body.error)).toBe("ready");

    const retried = await harness.request<EnvironmentView>(
      "POST",
      `/v1/environments/${first.id}/redeploy?wait=true&timeout=120`,
    );
    expect(retried.status).toBe(200);
    expect(retried.body, JSON.stringify(retried.body.error)).toMatchObject({ status: "ready", error: null });
    expect(await page(retried.body)).toBe("v2");

    const state = JSON.parse(readFileSync(path.join(disk.dir, "state.json"), "utf8")) as {
      environments: { id: string; status: string }[];
    };
    expect(state.environments.map((e) => [e.id, e.status]).sort()).toEqual(
      [
        [first.id, "ready"],
        [second.body.id, "ready"],
      ].sort(),
    );
    expect((await harness.request("DELETE", `/v1/environments/${second.body.id}?wait=true`)).status).toBe(
      204,
    );
    expect(leftovers()).toEqual([]);
  });
});
