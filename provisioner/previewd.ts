/**
 * The composition root: the one place that wires real parts together. Tests wire the same
 * parts on a temporary data dir and port 0.
 */
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import { createApp } from "./api/create-app.ts";
import type { Config } from "./config.ts";
import { assertListenAllowed } from "./listen-policy.ts";
import { startHttpServer } from "./http-server.ts";
import type { Logger } from "./logger.ts";
import { FileLogStore } from "./logs/file-log-store.ts";
import { orchestratorFlags } from "./flags/flag-source.ts";
import type { LogStore } from "./logs/log-store.ts";
import { EnvironmentOrchestrator } from "./orchestrator/create-orchestrator.ts";
import { ownerIdOf } from "./owner-id.ts";
import { recover } from "./orchestrator/recovery.ts";
import { createPreviewProxy } from "./proxy/preview-proxy.ts";
import { PreviewAccess } from "./proxy/preview-access.ts";
import { shareLinks } from "./proxy/share-links.ts";
import { createProcessRuntime } from "./runtimes/process/process-runtime.ts";
import { createDockerRuntime } from "./runtimes/docker/docker-runtime.ts";
import type { WarmStarts } from "./runtimes/docker/warm-starts.ts";
import { kubernetesRuntimeFromEnv } from "./runtimes/kubernetes/kubernetes-runtime-from-env.ts";
import { PreviewdMetrics } from "./metrics/previewd-metrics.ts";
import { countLogLines, instrumentProxy } from "./metrics/instrument.ts";
import { acquireDataDirLock } from "./data-dir-lock.ts";
import { createRepoSources } from "./sources/repo-source.ts";
import { createWorktreeManager } from "./sources/worktree-manager.ts";
import { browserUser, noteOwner, sweepOwners, worktreePlace } from "./runtimes/process/runner-places.ts";
import { isRoot } from "./runtimes/process/postgres-home.ts";
import { bridgeConfigFromEnv } from "../devtools-bridge/bridge-config.ts";
import { createDevtoolsBridge, type DevtoolsBridge } from "../devtools-bridge/create-devtools-bridge.ts";
import { devtoolsEndpoints } from "../devtools-bridge/devtools-endpoints.ts";
import { bridgeEnvironments } from "./devtools-environments.ts";
import { apiScreenshotTaker } from "./github/api-screenshot-taker.ts";
import { createGitHubIntegration, type GitHubIntegration } from "./github/create-github.ts";
import { flagDefaultsFrom } from "./github/flag-defaults.ts";
import { loadGitHubConfig, type GitHubConfig } from "./github/github-config.ts";
import { ofrepPreviewOrigins } from "./api/ofrep-routes.ts";
import { loadGuardConfig, type GuardConfig } from "./request-guard/guard-config.ts";
import { createRequestGuard } from "./request-guard/request-guard.ts";
import { PreviewdClient } from "./cli/client.ts";
import { packageVersion } from "./cli/package-info.ts";
import { mcpHttp } from "./mcp/mcp-http-routes.ts";
import { closeObjectReaders } from "./sources/object-reader.ts";

export interface Previewd {
  /** The API's origin, e.g. `http://127.0.0.1:7070`. */
  url: string;
  orchestrator: EnvironmentOrchestrator;
  logs: LogStore;
  /** Pull request previews (webhook queue, comments). */
  github: GitHubIntegration;
  /** Stops serving. Environments keep running and are adopted by the next start. */
  close(): Promise<void>;
}

export interface PreviewdOptions {
  logger: Logger;
  /** How often expired environments are looked for. */
  reapIntervalMs?: number;
  /** Deadline for an app to become healthy. */
  healthTimeoutMs?: number;
  /** GitHub pull request previews; default: read from GITHUB_* and PREVIEWD_GITHUB_* variables. */
  github?: GitHubConfig;
  /** Hosts and origins allowed besides loopback; default: PREVIEWD_ALLOWED_HOSTS and PREVIEWD_ALLOWED_ORIGINS. */
  guard?: Omit<GuardConfig, "publicUrl">;
  /** The docker runtime's warm-start shortcuts; default all on (benchmarks turn some off). */
  dockerWarmStarts?: WarmStarts;
}

export async function startPreviewd(config: Config, options: PreviewdOptions): Promise<Previewd> {
  assertListenAllowed(config);
  const browserConfig = bridgeConfigFromEnv();
  const githubConfig = options.github ?? loadGitHubConfig();
  const guardConfig: GuardConfig = {
    ...(options.guard ?? loadGuardConfig()),
    ...(githubConfig.publicUrl && { publicUrl: githubConfig.publicUrl }),
  };
  // Only previewd's user may enter it: state.json holds each environment's database password.
  // (As root, what the postgres OS user must reach lives elsewhere: postgres-home.ts.)
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // Also when it existed already: as root, nothing previewd starts may read it (child-identity.ts).
  await chmod(config.dataDir, 0o700);
  // What has been started so far, undone in reverse if a later step fails: nothing half-started stays.
  const started: (() => Promise<void>)[] = [];
  try {
    return await assemble(config, options, browserConfig, githubConfig, guardConfig, started);
  } catch (error) {
    for (const undo of started.reverse()) await undo().catch(() => undefined);
    throw error;
  }
}

async function assemble(
  config: Config,
  options: PreviewdOptions,
  browserConfig: ReturnType<typeof bridgeConfigFromEnv>,
  githubConfig: GitHubConfig,
  guardConfig: GuardConfig,
  started: (() => Promise<void>)[],
): Promise<Previewd> {
  const { logger } = options;
  const releaseLock = await acquireDataDirLock(config.dataDir);
  started.push(releaseLock);

  // Lines survive a restart: each environment's recent tail is reloaded from `<dataDir>/logs/<id>/`.
  const logs = await FileLogStore.open({ dir: path.join(config.dataDir, "logs"), logger });
  // Prometheus metrics (GET /metrics): log lines, environments, phases, API and proxy traffic.
  const metrics = new PreviewdMetrics();
  countLogLines(logs, metrics);
  started.push(() => logs.close());
  const ownerId = ownerIdOf(config.dataDir);
  // As root, the worktrees and clusters of data dirs removed without previewd go (runner-places.ts).
  const sweeping = isRoot() ? sweepStrayOwners(config.dataDir, ownerId, logger) : Promise.resolve(() => {});
  started.push(async () => (await sweeping)());
  const pipeline = {
    mode: config.pipeline,
    ...(config.buildConcurrency && { buildConcurrency: config.buildConcurrency }),
  };
  let origin = `http://127.0.0.1:${config.port}`;
  let devtools: DevtoolsBridge | undefined = undefined;
  let publicPort = config.port;
  const orchestrator = new EnvironmentOrchestrator({
    dataDir: config.dataDir,
    logger,
    logs,
    sources: createRepoSources({ cacheDir: path.join(config.dataDir, "repos"), logger }),
    worktrees: createWorktreeManager({ ...(await worktreePlace(config.dataDir, ownerId)), logger }),
    runtimes: {
      process: createProcessRuntime({
        ownerId,
        logger,
        cacheDir: path.join(config.dataDir, "cache"),
        installSharing: config.installSharing,
        cacheMaxBytes: config.cacheMaxBytes,
        seedBuilds: config.buildSeeds === "on",
        pipeline,
        ...(options.healthTimeoutMs && { healthTimeoutMs: options.healthTimeoutMs }),
      }),
      // Always registered: without an engine, checkAvailable() says what is missing (503).
      docker: createDockerRuntime({
        ownerId,
        logger,
        pipeline,
        ...(options.dockerWarmStarts && { warmStarts: options.dockerWarmStarts }),
      }),
      // Pulumi and a cluster: checkAvailable() names a missing pulumi CLI, kubeconfig or registry (503).
      kubernetes: kubernetesRuntimeFromEnv({
        ownerId,
        logger,
        dataDir: config.dataDir,
        baseDomain: config.baseDomain,
      }),
    },
    defaultRuntime: config.runtime,
    defaultTtlSeconds: config.defaultTtl,
    origin: () => origin,
    appUrl: (id, app) => `http://${app}--${id}.${config.baseDomain}:${publicPort}`,
    // The bridge comes after recovery; until then (no client sees a view yet) there is no devtools.
    devtools: {
      endpoints: (id) => {
        const browserUrl = devtools?.browserUrl(id);
        return browserUrl === undefined ? undefined : devtoolsEndpoints(origin, id, browserUrl);
      },
      open: async (id) => void (await devtools?.openBrowserUrl(id)),
      close: async (id) => devtools?.forget(id),
    },
    ...(config.token && { token: config.token }),
  });

  // Take back what a previous run started before answering anyone, so no request sees half a state.
  await recover(orchestrator, orchestrator.deps);
  metrics.watchEnvironments(orchestrator);
  started.push(() => closeRuntimes(orchestrator));

  await logs.retainOnly(orchestrator.list().map((environment) => environment.id));

  // Host and Origin checks in front of everything but preview hosts (DNS rebinding, cross-site pages).
  const guard = createRequestGuard({
    config: guardConfig,
    baseDomain: config.baseDomain,
    extraOrigins: ofrepPreviewOrigins(orchestrator),
  });

  // With a token, previews ask for it or a share link; the environment's own browser gets cookies.
  const access = new PreviewAccess({
    ...(config.token && { token: config.token }),
    publicPreviews: config.publicPreviews,
  });
  const shares = shareLinks(access, config.shareTtl);

  // A browser per environment (CDP bridge, screenshots); browsers of a previous run are killed first.
  const bridge = await createDevtoolsBridge({
    owner: ownerId,
    dataDir: config.dataDir,
    ...(await browserUser(ownerId)),
    baseDomain: config.baseDomain,
    ...(config.token && { token: config.token }),
    environments: bridgeEnvironments(orchestrator, { access, cookieTtlSeconds: config.shareTtl }),
    logs,
    logger,
    config: browserConfig,
    guard,
  });
  devtools = bridge;
  started.push(() => bridge.close());
  // Every environment has its browserUrl before the server answers anyone.
  await bridge.restoreBrowserUrls(orchestrator.list().map((environment) => environment.id));
  orchestrator.onDeleted((id) => bridge.forget(id));
  // Stopped as deletion begins, before the runtime's teardown kills whatever carries the
  // environment's labels: a browser stopped on purpose, never one that "exited unexpectedly".
  orchestrator.onStatusChange((id, status) => {
    if (status === "deleting") void bridge.stopBrowser(id);
  });

  // PR previews: comments and statuses; screenshots come from the bridge's API above.
  const github = await createGitHubIntegration({
    config: githubConfig,
    orchestrator,
    dataDir: config.dataDir,
    logger,
    ownUrl: () => origin,
    flagDefaults: flagDefaultsFrom(orchestrator),
    shareLinks: shares,
    screenshots: apiScreenshotTaker({
      origin: () => origin,
      publicUrl: () => githubConfig.publicUrl ?? origin,
      ...(config.token && { token: config.token }),
      logger,
    }),
  });
  started.push(() => github.close());

  // MCP over HTTP: each session's tools call this previewd's API, as `previewd mcp` does over stdio.
  const mcp = mcpHttp({
    client: () => new PreviewdClient({ baseUrl: origin, ...(config.token && { token: config.token }) }),
    version: packageVersion(),
    logger,
  });
  started.push(() => mcp.close());

  const app = createApp({
    orchestrator,
    logger,
    config: {
      ...(config.token && { token: config.token }),
      ...(githubConfig.publicUrl && { publicUrl: githubConfig.publicUrl }),
    },
    logs,
    flags: orchestratorFlags(orchestrator),
    scenarios: orchestrator,
    onDeleted: (listener) => orchestrator.onDeleted(listener),
    devtools: bridge,
    github,
    metrics,
    shares,
    mcp: mcp.routes,
  });
  const proxy = instrumentProxy(
    createPreviewProxy({ orchestrator, baseDomain: config.baseDomain, logger, access }),
    metrics,
  );
  const server = await startHttpServer({
    app,
    proxy,
    upgradeHandlers: [bridge.handleUpgrade],
    guard,
    host: config.host,
    port: config.port,
    logger,
  });
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
    github,
    async close() {
      clearInterval(reaper);
      await server.close();
      await mcp.close();
      await github.close();
      await bridge.close();
      await orchestrator.idle();
      await closeRuntimes(orchestrator);
      await closeObjectReaders(); // The git processes kept for resolving sources.
      await logs.close();
      (await sweeping)();
      await releaseLock();
    },
  };
}

/**
 * Notes this data dir's owner (touched while previewd runs), then removes other owners' folders
 * whose data dir is gone. Resolves with what stops the touching; never fails.
 */
async function sweepStrayOwners(dataDir: string, owner: string, logger: Logger): Promise<() => void> {
  let stopTouching: () => void = () => {};
  try {
    stopTouching = await noteOwner(dataDir, owner);
    const swept = await sweepOwners(owner);
    if (swept.length > 0)
      logger.info({ dataDirs: swept }, "removed the worktrees and clusters of data dirs that are gone");
  } catch (error) {
    logger.warn({ err: error }, "could not sweep the folders of data dirs that are gone");
  }
  return stopTouching;
}

/** Stop the runtimes' background work (log tailing, timers); environments keep running. */
async function closeRuntimes(orchestrator: EnvironmentOrchestrator): Promise<void> {
  await orchestrator.stopSupervising();
  for (const runtime of Object.values(orchestrator.deps.runtimes)) await runtime.close();
}
