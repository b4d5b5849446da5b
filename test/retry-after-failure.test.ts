/**
 * An environment that failed is provisioned from scratch when asked for again: its new worktree
 * gets its own install (run or copied), never "lockfiles unchanged since the last install" for
 * what a removed worktree had.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

const manifest = `version: 1
name: retry
install: node install.mjs
apps:
  web:
    path: apps/web
    build: node build.mjs
    start: node server.js
    health: /healthz
`;
// The install makes a package the build cannot do without.
const install = `import fs from "node:fs";
fs.mkdirSync("node_modules/greeting", { recursive: true });
fs.writeFileSync("node_modules/greeting/index.js", "export const greeting = 'hello from node_modules';\\n");
`;
const build = (broken: boolean) => `import fs from "node:fs";
const { greeting } = await import("../../node_modules/greeting/index.js");
${broken ? 'console.error("the build is broken"); process.exit(1);' : ""}
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/page.txt", greeting);
`;
const server = `import http from "node:http";
import fs from "node:fs";
const page = fs.readFileSync("dist/page.txt", "utf8");
http.createServer((req, res) => res.end(req.url === "/healthz" ? "ok" : page))
  .listen(Number(process.env.PORT), process.env.HOST);
`;

let harness: Harness;
let repo: GitFixture;

beforeAll(async () => {
  repo = await createGitRepo({
    "preview.yaml": manifest,
    "install.mjs": install,
    "package-lock.json": JSON.stringify({ name: "retry", lockfileVersion: 3, packages: {} }),
    ".gitignore": "node_modules/\ndist/\n",
    "apps/web/build.mjs": build(true),
    "apps/web/server.js": server,
  });
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

describe("asking again for an environment that failed", () => {
  it("provisions it from scratch: install runs again in the new worktree, and the fixed app works", async () => {
    const failed = await harness.create({ repo: repo.dir, ref: "main" });
    expect(failed.status).toBe(201);
    expect(failed.body.status).toBe("failed");
    expect(failed.body.error).toMatchObject({ step: "build", app: "web" });
    expect(failed.body.error!.logTail.join("\n")).toContain("the build is broken");

    const fixed = await repo.commit({ "apps/web/build.mjs": build(false) }, "fix the build");
    const again = await harness.create({ repo: repo.dir, ref: "main" });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(failed.body.id);
    expect(again.body, JSON.stringify(again.body.error)).toMatchObject({
      status: "ready",
      commit: fixed,
      error: null,
    });
    const install = harness.previewd.orchestrator.events(again.body.id).filter((e) => e.step === "install");
    expect(install.map((e) => e.message)).not.toContain("lockfiles unchanged since the last install");
    expect(await (await fetch(again.body.apps.web!.directUrl!)).text()).toBe("hello from node_modules");
  });
});
