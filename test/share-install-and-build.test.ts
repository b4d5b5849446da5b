/**
 * Environments share install and build outputs by content hash: a second environment of the same
 * lockfile copies the first one's install, an app whose inputs another environment already built
 * is copied, not rebuilt, and what is copied belongs to that environment alone. The fixture's
 * install and builds say that they ran in their output, which lands in the environment's logs
 * (as root they run as previewd-run, which may write nothing of the test's).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo, fixtureManifest, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

/** install: a package in node_modules; each build: its app's dist, and api's also the shared package's. */
const installScript = `import fs from "node:fs";
console.log("step ran: install");
fs.mkdirSync("node_modules/marker", { recursive: true });
fs.writeFileSync("node_modules/marker/index.js", "export const installed = " + Date.now() + ";\\n");
`;
const buildScript = (app: string, extra = "") => `import fs from "node:fs";
console.log("step ran: build ${app}");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/out.txt", fs.readFileSync("src.txt", "utf8"));
${extra}`;
const apiBuild = buildScript(
  "api",
  `fs.mkdirSync("../../packages/shared/dist", { recursive: true });
fs.writeFileSync("../../packages/shared/dist/lib.txt", fs.readFileSync("../../packages/shared/lib.txt", "utf8"));
`,
);
// web needs the shared package's build output: it fails without it.
const webBuild = buildScript("web", `fs.readFileSync("../../packages/shared/dist/lib.txt", "utf8");\n`);

const manifest = fixtureManifest()
  .replace("name: fixture\n", "name: fixture\ninstall: node install.mjs\n")
  .replace("    path: apps/api\n", "    path: apps/api\n    build: node build.mjs\n")
  .replace("    path: apps/web\n", "    path: apps/web\n    build: node build.mjs\n");

let harness: Harness;
let repo: FixtureRepo;

/** Every install and build run so far, environment after environment (they are made one at a time). */
const runs = (): string[] =>
  harness.previewd.orchestrator
    .list()
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    .flatMap((env) => harness.previewd.logs.query(env.id, { grep: "step ran: " }))
    .map((entry) => entry.line.replace(/^.*step ran: /, ""));
const worktreeOf = (env: EnvironmentView): string =>
  harness.previewd.orchestrator.record(env.id).worktreePath!;
const stepEvents = (env: EnvironmentView) =>
  harness.previewd.orchestrator
    .events(env.id)
    .filter((e) => e.step === "install" || e.step === "build")
    .filter((e) => e.status !== "info")
    .map((e) => `${e.step}${e.app ? ` ${e.app}` : ""}: ${e.status}`);

beforeAll(async () => {
  repo = createFixtureRepo({
    files: {
      "preview.yaml": manifest,
      "install.mjs": installScript,
      // Without a lockfile nothing pins what an install makes, and previewd shares none.
      "package-lock.json": JSON.stringify({ name: "fixture", lockfileVersion: 3, packages: {} }),
      ".gitignore": "node_modules/\ndist/\n",
      "packages/shared/lib.txt": "shared v1",
      "apps/api/build.mjs": apiBuild,
      "apps/api/src.txt": "api v1",
      "apps/web/build.mjs": webBuild,
      "apps/web/src.txt": "web v1",
    },
  });
  harness = await startHarness();
});
afterAll(async () => harness?.close());

describe("install and build outputs shared between environments", () => {
  let first: EnvironmentView;

  it("the first environment installs and builds", async () => {
    first = (await harness.create({ repo: repo.dir, ref: "main" })).body;
    expect(first.status, JSON.stringify(first.error)).toBe("ready");
    expect(runs()).toEqual(["install", "build api", "build web"]);
    expect(stepEvents(first)).toEqual([
      "install: started",
      "install: succeeded",
      "build api: started",
      "build api: succeeded",
      "build web: started",
      "build web: succeeded",
    ]);
  });

  it("a second environment of the same commit copies them, runs nothing, and is healthy", async () => {
    repo.git("branch", "same", "main");
    const second = (await harness.create({ repo: repo.dir, ref: "same" })).body;
    expect(second.status, JSON.stringify(second.error)).toBe("ready");
    expect(runs()).toEqual(["install", "build api", "build web"]);
    expect(stepEvents(second)).toEqual(["install: skipped", "build api: skipped", "build web: skipped"]);
    const copied = harness.previewd.orchestrator
      .events(second.id)
      .filter((e) => e.status === "skipped")
      .map((e) => e.message);
    expect(copied.every((message) => message.startsWith("copied from another environment's"))).toBe(true);
    const tree = worktreeOf(second);
    for (const file of ["apps/api/dist/out.txt", "apps/web/dist/out.txt", "packages/shared/dist/lib.txt"]) {
      expect(readFileSync(path.join(tree, file), "utf8")).toBe(
        readFileSync(path.join(worktreeOf(first), file), "utf8"),
      );
    }
    expect((await fetch(`${second.apps.web!.directUrl}/healthz`)).status).toBe(200);

    // Copies, not links: what one environment writes into its node_modules the other never sees.
    const marker = "node_modules/marker/index.js";
    const mine = path.join(tree, marker);
    const theirs = path.join(worktreeOf(first), marker);
    expect(readFileSync(mine, "utf8")).toBe(readFileSync(theirs, "utf8"));
    expect(statSync(mine).ino).not.toBe(statSync(theirs).ino);
    writeFileSync(theirs, "changed by the first environment");
    expect(readFileSync(mine, "utf8")).toMatch(/^export const installed/);
  });

  it("a branch that changes one app builds that app only, on top of the others' copied outputs", async () => {
    repo.checkout("web-change", true);
    repo.commit({ "apps/web/src.txt": "web v2" }, "web v2");
    repo.checkout("main");
    const changed = (await harness.create({ repo: repo.dir, ref: "web-change" })).body;
    expect(changed.status, JSON.stringify(changed.error)).toBe("ready");
    expect(runs()).toEqual(["install", "build api", "build web", "build web"]);
    expect(stepEvents(changed)).toEqual([
      "install: skipped",
      "build api: skipped",
      "build web: started",
      "build web: succeeded",
    ]);
    const tree = worktreeOf(changed);
    expect(readFileSync(path.join(tree, "apps/web/dist/out.txt"), "utf8")).toBe("web v2");
    expect(readFileSync(path.join(tree, "apps/api/dist/out.txt"), "utf8")).toBe("api v1");
  });

  it("copies only what a build wrote: another app's copied build never overwrites a fresh one", async () => {
    // api's build script changes what it writes into the shared package; web's inputs do not change.
    repo.checkout("api-build-change", true);
    const changedBuild = apiBuild.replace(
      'fs.readFileSync("../../packages/shared/lib.txt", "utf8")',
      'fs.readFileSync("../../packages/shared/lib.txt", "utf8") + " (api build v2)"',
    );
    repo.commit({ "apps/api/build.mjs": changedBuild }, "api build v2");
    repo.checkout("main");
    const before = runs().length;
    const env = (await harness.create({ repo: repo.dir, ref: "api-build-change" })).body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    expect(runs().slice(before)).toEqual(["build api"]);
    expect(stepEvents(env)).toContain("build web: skipped");
    const tree = worktreeOf(env);
    expect(readFileSync(path.join(tree, "packages/shared/dist/lib.txt"), "utf8")).toBe(
      "shared v1 (api build v2)",
    );
    expect(readFileSync(path.join(tree, "apps/web/dist/out.txt"), "utf8")).toBe("web v1");
  });

  it("never shares what lies untracked in a caller's own worktree run in place", async () => {
    const own = path.join(mkdtempSync(path.join(os.tmpdir(), "previewd-share-own-")), "tree");
    repo.git("worktree", "add", "-q", "-b", "in-place", own, "main");
    writeFileSync(path.join(own, "apps/web/.env"), "SECRET=from-the-caller");
    const before = runs().length;
    const env = (await harness.create({ repo: repo.dir, worktree: own })).body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    // Its own install and builds ran: nothing was copied into the caller's tree either.
    expect(runs().slice(before)).toEqual(["install", "build api", "build web"]);
    const cache = path.join(harness.dataDir, "cache", "outputs");
    const shared = execFileSync("find", [cache, "-name", ".env"], { encoding: "utf8" });
    expect(shared).toBe("");
  });
});
