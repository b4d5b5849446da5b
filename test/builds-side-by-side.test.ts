/**
 * Faster pipelines on real processes: independent builds run side by side, and an app starts as
 * soon as its own build and dependencies are ready, not once every build is done. Proved by
 * order, not by time: builds `a` and `b` each wait for a marker the other writes (one build at a
 * time would never see it), and `slow`'s build waits for a marker `fast` writes once it listens
 * (all builds before any start would never see it). A build that gives up fails after 60 s.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent } from "../provisioner/environments/environment-schema.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const manifest = `version: 1
name: sidebyside
apps:
  a: { path: apps/a, build: node ../../wait-for.js a b, start: node ../../serve.js }
  b: { path: apps/b, build: node ../../wait-for.js b a, start: node ../../serve.js }
  fast: { path: apps/fast, start: node ../../serve.js fast-listening }
  slow: { path: apps/slow, build: node ../../wait-for.js slow fast-listening, start: node ../../serve.js }
  after-slow: { path: apps/after-slow, start: node ../../serve.js, depends_on: [slow] }
`;

const files = {
  "preview.yaml": manifest,
  ".gitignore": ".markers/\n",
  // Markers live in the worktree, so each environment has its own.
  "wait-for.js": `const fs = require("node:fs");
const path = require("node:path");
const [mine, theirs] = process.argv.slice(2);
const markers = path.join(__dirname, ".markers");
fs.mkdirSync(markers, { recursive: true });
fs.writeFileSync(path.join(markers, mine), "");
const deadline = Date.now() + 60_000;
const timer = setInterval(() => {
  if (fs.existsSync(path.join(markers, theirs))) {
    console.log(mine + " saw " + theirs);
    process.exit(0);
  }
  if (Date.now() > deadline) {
    console.error(mine + " never saw " + theirs);
    process.exit(1);
  }
}, 50);
`,
  "serve.js": `const fs = require("node:fs");
const path = require("node:path");
const http = require("node:http");
const marker = process.argv[2];
http.createServer((req, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1", () => {
  if (marker) {
    fs.mkdirSync(path.join(__dirname, ".markers"), { recursive: true });
    fs.writeFileSync(path.join(__dirname, ".markers", marker), "");
  }
});
process.on("SIGTERM", () => process.exit(0));
`,
  "apps/a/.keep": "",
  "apps/b/.keep": "",
  "apps/fast/.keep": "",
  "apps/slow/.keep": "",
  "apps/after-slow/.keep": "",
};

let harness: Harness;
let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitRepo(files);
  // Two builds at once, whatever this machine's core count.
  harness = await startHarness({ buildConcurrency: 2 });
});
afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

const at = (events: EnvironmentEvent[], step: string, status: string, app: string) =>
  events.findIndex((e) => e.step === step && e.status === status && e.app === app);

describe("builds side by side, apps started as they are ready", () => {
  it("runs independent builds at once and starts an app while an unrelated build still runs", async () => {
    const created = await harness.create({ repo: repo.dir, ref: "main" }, 180);
    expect(created.body.status, JSON.stringify(created.body.error)).toBe("ready");
    const events = harness.previewd.orchestrator.events(created.body.id);
    // a and b built together: each started before the other ended.
    expect(at(events, "build", "started", "a")).toBeLessThan(at(events, "build", "succeeded", "b"));
    expect(at(events, "build", "started", "b")).toBeLessThan(at(events, "build", "succeeded", "a"));
    // fast was healthy before slow's build ended, which waited for it; after-slow waited for slow.
    expect(at(events, "health", "succeeded", "fast")).toBeLessThan(at(events, "build", "succeeded", "slow"));
    expect(at(events, "health", "succeeded", "slow")).toBeLessThan(
      at(events, "start", "started", "after-slow"),
    );
    expect(at(events, "build", "succeeded", "slow")).toBeLessThan(at(events, "start", "started", "slow"));
    for (const app of ["a", "b", "fast", "slow", "after-slow"])
      expect(created.body.apps[app]?.status, app).toBe("healthy");
  });
});
