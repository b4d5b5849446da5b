/**
 * The composition root: the one place that wires real parts together. Tests wire the same
 * parts on a temporary data dir and port 0.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { createApp } from "./api/create-app.ts";
import { isLoopbackHost, type Config } from "./config.ts";
import { ValidationError } from "./errors.ts";
import { startHttpServer } from "./http-server.ts";
import type { Logger } from "./logger.ts";
import { MemoryLogStore } from "./logs/memory-log-store.ts";
import type { LogStore } from "./logs/log-store.ts";
import { EnvironmentOrchestrator } from "./orchestrator/create-orchestrator.ts";
import { ownerIdOf } from "./owner-id.ts";
import { recover } from "./orchestrator/recovery.ts";
import { createPreviewProxy } from "./proxy/preview-proxy.ts";
import { createProcessRuntime } from "./runtimes/process/process-runtime.ts";
import { acquireDataDirLock } from "./data-dir-lock.ts";
import { createRepoSources } from "./sources/repo-source.ts";
import { createWorktreeManager } from "./sources/worktree-manager.ts";

export interface Previewd {
  /** The API's origin, e.g. `http://127.0.0.1:7070`. */
  url: string;
  orchestrator: EnvironmentOrchestrator;
  logs: LogStore;
  /** Stops serving. Environments keep running and are adopted by the next start. */
  close(): Promise<void>;
}

export interface PreviewdOptions {
  logger: Logger;
  /** How often expired environments are looked for. */
  reapIntervalMs?: number;
  /** Deadline for an app to become healthy. */
  healthTimeoutMs?: number;
}

export async function startPreviewd(config: Config, options: PreviewdOptions): Promise<Previewd> {
  const { logger } = options;
  if (!isLoopbackHost(config.host) && !config.token) {
    throw new ValidationError(`refusing to listen on ${config.host} without a token`, {
      errors: [{ path: "PREVIEWD_TOKEN", message: "set a token to listen on a non-loopback address" }],
    });
  }
  // Postgres runs as its own OS user when previewd is root: the data dir must be traversable.
  await mkdir(config.dataDir, { recursive: true, mode: 0o755 });
  const releaseLock = await acquireDataDirLock(config.dataDir);

  const logs = new MemoryLogStore();
  let origin = `http://127.0.0.1:${config.port}`;
  let publicPort = config.port;
  const orchestrator = new EnvironmentOrchestrator({
    dataDir: config.dataDir,
    logger,
    logs,
    sources: createRepoSources({ cacheDir: path.join(config.dataDir, "repos"), logger }),
    worktrees: createWorktreeManager({ worktreesDir: path.join(config.dataDir, "worktrees"), logger }),
    runtimes: {
      process: createProcessRuntime({
        ownerId: ownerIdOf(config.dataDir),
        logger,
        ...(options.healthTimeoutMs && { healthTimeoutMs: options.healthTimeoutMs }),
      }),
    },
    defaultRuntime: config.runtime,
    defaultTtlSeconds: config.defaultTtl,
    origin: () => origin,
    appUrl: (id, app) => `http://${app}--${id}.${config.baseDomain}:${publicPort}`,
    ...(config.token && { token: config.token }),
  });

  // Take back what a previous run started before answering anyone, so no request sees half a state.
  await recover(orchestrator, orchestrator.deps).catch(async (error: unknown) => {
    await releaseLock();
    throw error;
  });

  const app = createApp({ orchestrator, logger, config: { ...(config.token && { token: config.token }) } });
  const proxy = createPreviewProxy({ orchestrator, baseDomain: config.baseDomain, logger });
  const server = await startHttpServer({ app, proxy, host: config.host, port: config.port, logger }).catch(
    async (error: unknown) => {
      await releaseLock();
      throw error;
    },
  );
  publicPort = Number(new URL(server.url).port);
  origin = `http://127.0.0.1:${publicPort}`;

  const reaper = setInterval(() => {
    orchestrator.reapExpired().catch((error: unknown) => logger.error({ err: error }, "reaper failed"));
  }, options.reapIntervalMs ?? 30_000);
  reaper.unref();
  logger.info({ url: server.url, dataDir: config.dataDir, runtime: config.runtime }, "previewd listening");

  return {
    url: server.url,
    orchestrator,
    logs,
    async close() {
      clearInterval(reaper);
      await server.close();
      await orchestrator.idle();
      for (const runtime of Object.values(orchestrator.deps.runtimes)) await runtime.close();
      await releaseLock();
    },
  };
}
