/**
 * Deleting an environment stops its browser as an expected stop: previewd's log says so, and
 * never that the browser "exited unexpectedly".
 */
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../provisioner/logger.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { alive, eventually } from "./helpers/processes.ts";

const manifest = `version: 1
name: browsed
apps:
  web:
    start: node server.js
    health: /healthz
`;
const server = `import http from "node:http";
http.createServer((req, res) => res.end(req.url === "/healthz" ? "ok" : "<h1>hi</h1>"))
  .listen(Number(process.env.PORT), process.env.HOST);
`;

const lines: { msg: string; env?: string; pid?: number }[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean))
      lines.push(JSON.parse(line) as (typeof lines)[number]);
    done();
  },
});

let harness: Harness;
let repo: GitFixture;

describe.skipIf(skipWithoutChromium)("deleting an environment with a running browser", () => {
  beforeAll(async () => {
    requireChromium();
    repo = await createGitRepo({ "preview.yaml": manifest, "server.js": server });
    harness = await startHarness({ logger: createLogger({ level: "info", destination: sink }) });
  });
  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  it("stops the browser as a planned stop, not a crash", async () => {
    const env = (await harness.create({ repo: repo.dir })).body;
    expect(env.status).toBe("ready");
    const version = await harness.request("GET", `/v1/environments/${env.id}/devtools/json/version`);
    expect(version.status).toBe(200);
    const started = lines.find((line) => line.env === env.id && line.msg === "browser started");
    expect(started?.pid).toEqual(expect.any(Number));

    expect((await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`)).status).toBe(204);
    const mine = () => lines.filter((line) => line.env === env.id).map((line) => line.msg);
    // The bridge finishes stopping it just after the environment is gone.
    await eventually(() => expect(mine()).toContain("browser stopped"), 30_000);
    expect(alive(started!.pid!)).toBe(false);
    expect(mine().filter((msg) => /unexpectedly/.test(msg))).toEqual([]);
  });
});
