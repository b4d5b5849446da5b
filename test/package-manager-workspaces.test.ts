/**
 * pnpm and yarn (berry and classic) workspaces, each at the version its `packageManager` pins
 * (corepack, from the npm registry), for the install and for the app. pnpm's installs share its
 * store between environments: a branch that changes no install input installs from what another
 * environment downloaded (linked, not copied), and the root's `postinstall` still runs on the
 * branch's own files; a changed lockfile or workspace manifest is installed afresh. As root
 * (previewd's tests run as root) every command runs as `previewd-run`.
 */
import { statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import {
  createWorkspaceRepo,
  greetPackage,
  pinned,
  pnpmLock,
  type WorkspaceManager,
} from "./helpers/workspace-fixture.ts";

let harness: Harness;
const repos: GitFixture[] = [];

beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
  await Promise.all(repos.map((repo) => repo.remove()));
});

async function repoOf(manager: WorkspaceManager): Promise<GitFixture> {
  const repo = await createWorkspaceRepo(manager);
  repos.push(repo);
  return repo;
}

async function create(repo: GitFixture, ref: string): Promise<EnvironmentView> {
  const env = (await harness.create({ repo: repo.dir, ref }, 240)).body;
  expect(env.status, JSON.stringify(env.error)).toBe("ready");
  return env;
}

const installEvents = (env: EnvironmentView) =>
  harness.previewd.orchestrator
    .events(env.id)
    .filter((e) => e.step === "install" && e.status !== "info")
    .map((e) => `${e.status}: ${e.message}`);
/** What `app` printed from `text` on (pnpm prefixes a script's lines), not the command lines that name it. */
const lines = (env: EnvironmentView, app: string, text: string) =>
  harness.previewd.logs
    .query(env.id, { apps: [app], grep: text })
    .map((entry) => entry.line.slice(entry.line.indexOf(text)))
    .filter((line) => !line.includes("$("));
const served = async (env: EnvironmentView) =>
  (await (await fetch(env.apps.web!.directUrl!)).json()) as { notice: string; greet: string };
/** What the fixture's postinstall writes (and prints): the notice, and the manifest's env. */
const ran = (notice: string) => `postinstall ran: ${notice}; greeting: hello from the manifest`;
const worktreeOf = (env: EnvironmentView) => harness.previewd.orchestrator.record(env.id).worktreePath!;

// The five workspaces below share nothing but the previewd they ask (full-copies has its own): they
// run side by side, as agents creating environments at once would; within each, tests run in order.
// Environments made at once take longer each on two cores: the timeout covers a test's creates.
describe.concurrent("workspaces of every package manager, side by side", { timeout: 300_000 }, () => {
  describe("a pnpm workspace whose root has a postinstall", () => {
    let repo: GitFixture;
    let first: EnvironmentView;
    const version = pinned.pnpm.split("@")[1]!;

    it.sequential(
      "installs with the pinned pnpm and the manifest's env, and the app runs that pnpm too",
      async () => {
        repo = await repoOf("pnpm");
        first = await create(repo, "main");
        expect(installEvents(first)).toEqual([
          'started: pnpm install --frozen-lockfile && echo "install runs pnpm $(pnpm --version)"',
          "succeeded: installed",
        ]);
        expect(lines(first, "previewd", "install runs pnpm")).toEqual([`install runs pnpm ${version}`]);
        expect(lines(first, "previewd", "postinstall ran")).toEqual([ran("main")]);
        expect(lines(first, "web", "app runs pnpm")).toEqual([`app runs pnpm ${version}`]);
        expect(await served(first)).toEqual({ notice: ran("main"), greet: "ms says 1m" });
      },
    );

    it.sequential(
      "a branch that changes no install input installs from the shared store, and its postinstall sees its files",
      async () => {
        await repo.commit({ "notice.txt": "the notice branch" }, "notice", "notice");
        const second = await create(repo, "notice");
        const events = installEvents(second);
        expect(events[0]).toMatch(
          /^started: pnpm install .*\(shared: another environment installed the same lockfile/,
        );
        expect(events[1]).toBe("succeeded: installed from the shared store");
        // Less work: nothing downloaded, the package linked from the store another environment filled.
        expect(lines(second, "previewd", "Progress: resolved").at(-1)).toMatch(
          /reused 1, downloaded 0, added 1, done/,
        );
        const file = "node_modules/.pnpm/ms@2.1.3/node_modules/ms/index.js";
        const mine = statSync(path.join(worktreeOf(second), file));
        expect(mine.ino).toBe(statSync(path.join(worktreeOf(first), file)).ino);
        expect(lines(second, "previewd", "postinstall ran")).toEqual([ran("the notice branch")]);
        expect(await served(second)).toEqual({ notice: ran("the notice branch"), greet: "ms says 1m" });
        expect(await served(first)).toEqual({ notice: ran("main"), greet: "ms says 1m" });
      },
    );

    it.sequential("a changed workspace package.json is installed afresh", async () => {
      const manifest = greetPackage("2.1.3", { description: "greets" });
      await repo.commit({ "packages/greet/package.json": manifest }, "describe greet", "described");
      const env = await create(repo, "described");
      expect(installEvents(env)[0]).not.toContain("shared");
      expect(installEvents(env)[1]).toBe("succeeded: installed");
    });

    it.sequential("a changed lockfile is installed afresh, downloading what the store lacks", async () => {
      const changes = {
        "packages/greet/package.json": greetPackage("2.1.2"),
        "pnpm-lock.yaml": pnpmLock("2.1.2"),
      };
      await repo.commit(changes, "ms 2.1.2", "older-ms");
      const env = await create(repo, "older-ms");
      expect(installEvents(env)[0]).not.toContain("shared");
      expect(lines(env, "previewd", "Progress: resolved").at(-1)).toMatch(/downloaded 1, added 1, done/);
      expect(await served(env)).toEqual({ notice: ran("main"), greet: "ms says 1m" });
    });
  });

  describe("full-copies, the way before", () => {
    let old: Harness;
    beforeAll(async () => {
      old = await startHarness({ installSharing: "full-copies" });
    });
    afterAll(async () => old?.close());

    it("copies whole installs, and installs a branch with the root's postinstall afresh", async () => {
      const repo = await repoOf("pnpm");
      const events = (env: EnvironmentView) =>
        old.previewd.orchestrator
          .events(env.id)
          .filter((e) => e.step === "install" && e.status !== "info")
          .map((e) => `${e.status}: ${e.message}`);
      const make = async (ref: string) => {
        const env = (await old.create({ repo: repo.dir, ref }, 240)).body;
        expect(env.status, JSON.stringify(env.error)).toBe("ready");
        return env;
      };
      const first = await make("main");
      expect(events(first).at(-1)).toBe("succeeded: installed");
      await repo.git("branch", "same", "main");
      const same = await make("same");
      expect(events(same)).toEqual([
        "skipped: copied from another environment's install of the same lockfiles",
      ]);
      await repo.commit({ "notice.txt": "the notice branch" }, "notice", "notice");
      const branch = await make("notice");
      expect(events(branch)).toEqual([
        'started: pnpm install --frozen-lockfile && echo "install runs pnpm $(pnpm --version)"',
        "succeeded: installed",
      ]);
      expect(await served(branch)).toEqual({ notice: ran("the notice branch"), greet: "ms says 1m" });
    });
  });

  describe.each([
    ["yarn-berry", "4.18.1"],
    ["yarn-classic", "1.22.22"],
  ] as const)("a %s workspace", (manager, version) => {
    it("installs with the pinned yarn, runs the postinstall and the app, and shares its cache with the next branch", async () => {
      const repo = await repoOf(manager);
      const first = await create(repo, "main");
      expect(installEvents(first).at(-1)).toBe("succeeded: installed");
      expect(lines(first, "previewd", "install runs yarn")).toEqual([`install runs yarn ${version}`]);
      expect(lines(first, "web", "app runs yarn")).toEqual([`app runs yarn ${version}`]);
      // The postinstall ran with the manifest's env (yarn berry keeps scripts' output in a log of its own).
      expect(await served(first)).toEqual({ notice: ran("main"), greet: "ms says 1m" });

      await repo.commit({ "notice.txt": `a ${manager} branch` }, "notice", "notice");
      const second = await create(repo, "notice");
      expect(installEvents(second)[0]).toMatch(/\(shared: another environment installed the same lockfile/);
      expect(await served(second)).toEqual({ notice: ran(`a ${manager} branch`), greet: "ms says 1m" });
    });
  });

  describe("an npm workspace (no packageManager: npm from PATH) whose root has a postinstall", () => {
    it("copies another environment's install of the same inputs, then runs the postinstall on the branch's files", async () => {
      const repo = await repoOf("npm");
      const first = await create(repo, "main");
      expect(installEvents(first)).toEqual([
        'started: npm ci && echo "install runs npm $(npm --version)"',
        "succeeded: installed",
      ]);
      expect(lines(first, "web", "app runs npm")).toEqual([
        expect.stringMatching(/^app runs npm \d+\.\d+\.\d+$/),
      ]);
      expect(await served(first)).toEqual({ notice: ran("main"), greet: "ms says 1m" });

      await repo.commit({ "notice.txt": "an npm branch" }, "notice", "notice");
      const second = await create(repo, "notice");
      expect(installEvents(second)).toEqual([
        "skipped: copied from another environment's install of the same lockfiles",
        "started: the project's own install scripts, with this branch's files: postinstall in .",
        "succeeded: the project's own install scripts ran",
      ]);
      expect(lines(second, "previewd", "postinstall ran")).toEqual([ran("an npm branch")]);
      expect(await served(second)).toEqual({ notice: ran("an npm branch"), greet: "ms says 1m" });
    });
  });
});

it("says at most once per package manager that corepack fetched it without its signature check, over every environment above", () => {
  // Each pinned manager is fetched once (pnpm, yarn berry, yarn classic); on a machine that has
  // none of them yet, each fetch may need the check skipped, and says so once.
  const said = harness.previewd.orchestrator
    .list()
    .flatMap((env) => harness.previewd.orchestrator.events(env.id))
    .filter((e) => e.status === "info" && /COREPACK_INTEGRITY_KEYS=0/.test(e.message))
    .map((e) => /could not verify (\S+)'s npm signature/.exec(e.message)?.[1]);
  expect(said).not.toContain(undefined);
  expect(said).toEqual([...new Set(said)]);
});
