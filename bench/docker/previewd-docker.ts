/**
 * The previewd side of bench/rows/docker-warm.ts: a previewd in this process with the given
 * warm-start shortcuts of the docker runtime, creating an environment of a shop worktree (run as
 * it is, like the Compose file's build context) and timing it from the call until every app is
 * healthy (the environment's own `health` events, the same criterion as the compose baseline) and
 * until `ready` (its seed scenario loaded too).
 */
import { rm } from "node:fs/promises";
import { loadConfig } from "../../provisioner/config.ts";
import { silentLogger } from "../../provisioner/logger.ts";
import { startPreviewd, type Previewd } from "../../provisioner/previewd.ts";
import type { WarmStarts } from "../../provisioner/runtimes/docker/warm-starts.ts";
import { temporaryDataDir } from "../../test/helpers/previewd-harness.ts";
import { shopHealth } from "./compose-shop.ts";

export interface DockerCreateTimes {
  /** ms from the create call until the last app's health check passed. */
  healthy: number;
  /** ms until the environment was `ready`. */
  ready: number;
  timings: Record<string, number>;
}

export class PreviewdDocker {
  readonly #previewd: Previewd;
  readonly #dataDir: string;
  readonly #worktree: string;

  private constructor(previewd: Previewd, dataDir: string, worktree: string) {
    this.#previewd = previewd;
    this.#dataDir = dataDir;
    this.#worktree = worktree;
  }

  static async start(worktree: string, warmStarts: WarmStarts): Promise<PreviewdDocker> {
    const dataDir = temporaryDataDir();
    const config = loadConfig({ dataDir, port: 0 }, {});
    const previewd = await startPreviewd(config, { logger: silentLogger, dockerWarmStarts: warmStarts });
    return new PreviewdDocker(previewd, dataDir, worktree);
  }

  /** Creates the environment, times it, and deletes it again. */
  async create(): Promise<DockerCreateTimes> {
    const { orchestrator } = this.#previewd;
    const began = Date.now();
    const created = await orchestrator.create({
      repo: this.#worktree,
      worktree: this.#worktree,
      runtime: "docker",
    });
    const id = created.environment.id;
    try {
      const env = await orchestrator.waitFor(id, ["ready", "failed"], 10 * 60_000);
      const ready = Date.now() - began;
      if (env.status !== "ready") throw new Error(`previewd failed: ${JSON.stringify(env.error)}`);
      const healthy = orchestrator
        .events(id)
        .filter((e) => e.step === "health" && e.status === "succeeded" && e.app && e.app in shopHealth)
        .map((e) => Date.parse(e.ts) - began);
      if (healthy.length !== Object.keys(shopHealth).length)
        throw new Error(`expected a health event per app, got ${healthy.length}`);
      return { healthy: Math.max(...healthy), ready, timings: env.timings };
    } finally {
      await orchestrator.delete(id);
      await orchestrator.waitForDeletion(id, 120_000);
    }
  }

  async close(): Promise<void> {
    await this.#previewd.orchestrator.idle();
    await this.#previewd.close();
    await rm(this.#dataDir, { recursive: true, force: true });
  }
}
