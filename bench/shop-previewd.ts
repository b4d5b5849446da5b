/**
 * A previewd in this process with examples/shop as a small git repository of its own (the
 * benchmark rows' shared set-up): create or redeploy and time to `ready`, commit a change on a
 * branch, read what an environment's own events say its unskippable steps took.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { loadConfig } from "../provisioner/config.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { startPreviewd } from "../provisioner/previewd.ts";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { temporaryDataDir } from "../test/helpers/previewd-harness.ts";
import { createShopRepo } from "../test/helpers/shop-repo.ts";

export interface Timed {
  env: EnvironmentView;
  /** From the call to `ready`, in ms. */
  wall: number;
}

export type ShopPreviewd = Awaited<ReturnType<typeof startShopPreviewd>>;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export async function startShopPreviewd(environment: Record<string, string> = {}) {
  const repo = createShopRepo();
  const dataDir = temporaryDataDir();
  const previewd = await startPreviewd(loadConfig({ dataDir, port: 0 }, environment), {
    logger: silentLogger,
  });
  const { orchestrator } = previewd;
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", repo, "-c", "user.name=b", "-c", "user.email=b@example.com", ...args], {
      encoding: "utf8",
    });
  return {
    repo,
    previewd,
    orchestrator,
    git,
    /** Writes `content` to `file` in a commit on `branch` (made from `from`), leaving main checked out. */
    commitOnBranch(branch: string, from: string, file: string, content: string): void {
      git("checkout", "-q", "-B", branch, from);
      writeFileSync(path.join(repo, file), content);
      git("commit", "-qam", `change ${file}`);
      git("checkout", "-q", "main");
    },
    /** Runs `call` (a create or redeploy), then waits for the environment to be ready. */
    async ready(call: () => Promise<EnvironmentView | { environment: EnvironmentView }>): Promise<Timed> {
      const began = performance.now();
      const answer = await call();
      const id = "environment" in answer ? answer.environment.id : answer.id;
      await orchestrator.settle(id, 15 * 60_000);
      const env = orchestrator.get(id);
      const wall = performance.now() - began;
      if (env.status !== "ready") throw new Error(`${id} is ${env.status}: ${JSON.stringify(env.error)}`);
      return { env, wall };
    },
    worktree(id: string): string {
      const worktree = orchestrator.record(id).worktreePath;
      if (!worktree) throw new Error(`${id} has no worktree`);
      return worktree;
    },
    /** Forgets which shared builds may seed others (build-seeds.ts): the next builds start from nothing. */
    async dropSeeds(): Promise<void> {
      await rm(path.join(dataDir, "cache", "seeds"), { recursive: true, force: true });
    },
    async remove(id: string): Promise<void> {
      await orchestrator.delete(id);
      await orchestrator.waitForDeletion(id, 120_000);
    },
    async close(): Promise<void> {
      for (const env of orchestrator.list()) await orchestrator.delete(env.id).catch(() => undefined);
      await orchestrator.idle();
      await previewd.close();
      await rm(dataDir, { recursive: true, force: true });
      await rm(repo, { recursive: true, force: true });
    },
  };
}

/**
 * What no previewd can skip in a provision whose install and builds are copies, as the
 * environment's own events time it: Postgres from start to accepting connections, then each app
 * from its start to healthy along the longest dependency chain (api, then web or admin), then the
 * scenario's steps.
 */
export function unskippableMs(events: readonly EnvironmentEvent[]): number {
  const at = (step: string, status: string, app?: string) => {
    const event = events.find((e) => e.step === step && e.status === status && e.app === app);
    if (!event) throw new Error(`no ${step} ${status} event${app ? ` for ${app}` : ""}`);
    return Date.parse(event.ts);
  };
  const span = (app: string) => at("health", "succeeded", app) - at("start", "started", app);
  const postgres = at("services", "succeeded", "db") - at("services", "started", "db");
  const steps = events
    .filter((e) => e.step === "seed" && e.status === "succeeded")
    .map((e) => Number(/\((\d+) ms\)$/.exec(e.message)?.[1] ?? 0));
  return postgres + span("api") + Math.max(span("web"), span("admin")) + steps.reduce((a, b) => a + b, 0);
}
