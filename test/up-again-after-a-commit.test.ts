/**
 * `previewd up` run again after a commit updates the environment and returns only once the new
 * commit runs: the URLs it prints serve the new code, never the old one still shown as `ready`.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const execFileAsync = promisify(execFile);
const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "../provisioner/cli/previewd.js");

const manifest = `version: 1
name: again
apps:
  web:
    start: node server.js
    health: /healthz
`;
const server = (text: string) => `import http from "node:http";
http.createServer((req, res) => res.end(req.url === "/healthz" ? "ok" : ${JSON.stringify(text)}))
  .listen(Number(process.env.PORT), process.env.HOST);
`;

let harness: Harness;
let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitRepo({ "preview.yaml": manifest, "server.js": server("v1") });
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

const up = () =>
  execFileAsync(process.execPath, [cli, "up", repo.dir, "--server", harness.url], {
    env: { ...process.env, PREVIEWD_TOKEN: "", PREVIEWD_URL: "" },
  });

describe("previewd up, again after a commit", () => {
  it("waits for the update and prints URLs that serve the new commit", async () => {
    const first = await up();
    expect(first.stdout).toMatch(/^web {2}http:\/\/web--/);
    const [env] = (await harness.request<EnvironmentView[]>("GET", "/v1/environments")).body;
    expect(await (await fetch(env!.apps.web!.directUrl!)).text()).toBe("v1");

    const commit = await repo.commit({ "server.js": server("v2") }, "v2");
    const second = await up();
    expect(second.stderr).toContain(`using environment ${env!.id}`);
    expect(second.stdout).toMatch(/^web {2}http:\/\/web--/);
    // Read at once: up returned only after the update finished.
    const now = (await harness.request<EnvironmentView>("GET", `/v1/environments/${env!.id}`)).body;
    expect(now).toMatchObject({ commit, status: "ready" });
    expect(await (await fetch(now.apps.web!.directUrl!)).text()).toBe("v2");
  });
});
