/**
 * examples/turbo-store on the process runtime, end to end: pnpm (the version `packageManager`
 * names, through corepack) installs the workspace, turbo builds the shared catalog before the api
 * and bakes the api's public URL into the Vite page, the release step creates the tables before
 * the api starts, and the api answers from Postgres and Redis and charges through the payments
 * twin. Everything is asked through previewd's proxy, as a browser would.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createExampleRepo } from "./helpers/example-repo.ts";
import type { GitFixture } from "./helpers/git-fixture.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import {
  expectPageBakesApiUrl,
  redeployWhilePolling,
  storeClient,
  type Books,
  type Orders,
  type StoreStatus,
} from "./helpers/turbo-store-checks.ts";

let harness: Harness;
let repo: GitFixture;
let env: EnvironmentView;

// A cold pnpm install and three builds on a loaded two-core machine: the provisioning wait fills the hook.
const setupTimeoutMs = 600_000;

beforeAll(async () => {
  repo = await createExampleRepo("turbo-store");
  harness = await startHarness();
  env = (await harness.create({ repo: repo.dir, ref: "main" }, setupTimeoutMs / 1000 - 60)).body;
}, setupTimeoutMs);
afterAll(async () => {
  await harness?.close();
  await repo?.remove();
});

const store = () => storeClient(harness, env);
const line = (e: EnvironmentEvent) => `${e.step}${e.app ? ` ${e.app}` : ""}: ${e.status}`;
const eventLines = (since = "") =>
  harness.previewd.orchestrator
    .events(env.id)
    .filter((e) => e.ts >= since)
    .map(line);
const pidOf = (app: string) => harness.previewd.orchestrator.record(env.id).deployment!.apps[app]!.handle.pid;
const load = (name: string) =>
  harness.request<EnvironmentView>("POST", `/v1/environments/${env.id}/scenario`, { name });

describe("examples/turbo-store on the process runtime", () => {
  it("installs with pnpm, builds through turbo, migrates in release, and starts services and apps", () => {
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    expect(env.services).toMatchObject({
      db: { type: "postgres", status: "running" },
      cache: { type: "redis", status: "running" },
      payments: { type: "command", status: "running" },
    });
    expect(env.apps).toMatchObject({ api: { status: "healthy" }, web: { status: "healthy" } });
    expect(env.seed?.scenario).toBe("demo");

    const worktree = harness.previewd.orchestrator.record(env.id).worktreePath!;
    expect(existsSync(path.join(worktree, "node_modules/.pnpm/lock.yaml"))).toBe(true);
    expect(existsSync(path.join(worktree, "packages/catalog/dist/index.js"))).toBe(true);
    const lines = eventLines();
    expect(lines).toContain("install: succeeded");
    expect(lines).toContain("build api: succeeded");
    expect(lines).toContain("build web: succeeded");
    const released = lines.indexOf("release api: succeeded");
    expect(released).toBeGreaterThan(-1);
    expect(lines.indexOf("start api: started")).toBeGreaterThan(released);
  });

  it("serves the page with the API's public URL baked in by vite build", async () => {
    await expectPageBakesApiUrl(harness, env);
  });

  it("answers from Postgres (migrated by release) and Redis, and charges through the payments twin", async () => {
    const status = await store().api<StoreStatus>("GET", "/status");
    expect(status).toMatchObject({ redis: "PONG", payments: { status: "ok", charges: 1 } });
    expect(status.postgres).toMatch(/^\d+/);

    const books = await store().api<Books>("GET", "/books");
    expect(books.items.map((b) => b.title)).toEqual([
      "The Left Hand of Darkness",
      "Dune",
      "Kindred",
      "Neuromancer",
      "A Rare First Edition",
    ]);
    expect(books.items[0]?.price).toBe("€14.50");
    expect((await store().api<Books>("GET", "/books")).views).toBe(books.views + 1);

    const order = await store().api("POST", "/orders", { bookId: 1, quantity: 2 }, 201);
    expect(order).toMatchObject({ bookId: 1, quantity: 2, totalCents: 2900, chargeId: "ch_2" });
    const declined = await store().api("POST", "/orders", { bookId: 5 }, 402);
    expect(declined).toMatchObject({ error: "card_declined" });
    expect(await store().api<Orders>("GET", "/orders")).toMatchObject({ placed: 2 });
  });

  it("loads a scenario: Postgres reset, Redis flushed, the twin restarted clean", async () => {
    const empty = await load("empty");
    expect(empty.status, JSON.stringify(empty.body)).toBe(200);
    expect(await store().api<Books>("GET", "/books")).toEqual({ items: [], views: 1 });
    expect(await store().api<Orders>("GET", "/orders")).toEqual({ items: [], placed: 0 });
    expect(await store().api<StoreStatus>("GET", "/status")).toMatchObject({ payments: { charges: 0 } });

    expect((await load("sold-out")).status).toBe(200);
    const books = await store().api<Books>("GET", "/books");
    expect(books.items.find((b) => b.title === "Kindred")).toMatchObject({ stock: 0 });
    expect(await store().api<StoreStatus>("GET", "/status")).toMatchObject({ payments: { charges: 1 } });
    expect((await store().api<Orders>("GET", "/orders")).placed).toBe(1);
  });

  it(
    "redeploys a change to the api alone: rebuilt, released and restarted, web untouched, no error through the proxy",
    { timeout: 300_000 },
    async () => {
      const webPid = pidOf("web");
      const apiPid = pidOf("api");
      const since = new Date().toISOString();
      const commit = await repo.commit(
        { "apps/api/src/version.ts": 'export const apiVersion = "2";\n' },
        "api 2",
      );

      // Someone using the preview meanwhile: every answer must be a success.
      const { reply, answers } = await redeployWhilePolling(harness, env, 240);

      expect(reply, JSON.stringify(reply.error)).toMatchObject({ commit, status: "ready" });
      expect(answers.filter((a) => !/^2\d\d /.test(a))).toEqual([]);
      expect(answers.length).toBeGreaterThan(0);
      expect(await store().api("GET", "/")).toEqual({ name: "turbo-store api", version: "2" });
      expect(pidOf("api")).not.toBe(apiPid);
      expect(pidOf("web")).toBe(webPid);
      const lines = eventLines(since);
      expect(lines).toContain("build api: succeeded");
      expect(lines).toContain("release api: succeeded");
      expect(lines).not.toContain("build web: started");
      // The data stays: still the sold-out scenario's books.
      expect((await store().api<Books>("GET", "/books")).items).toHaveLength(5);
    },
  );
});
