/**
 * The CDP bridge (SPEC "CDP bridge"): a browser per environment, its DevTools endpoints and
 * WebSockets (under /v1 and on each environment's own loopback port, `devtools.browserUrl`),
 * screenshots, recordings, a clean slate per client, and browser events into the environment's logs. The
 * composition root mounts `v1Routes` under /v1 (behind the token check), `rootRoutes` at the
 * root, adds `handleUpgrade` to the server's upgrade handlers, opens each environment's browserUrl
 * before anyone sees the environment (`restoreBrowserUrls` at start, `openBrowserUrl` on create)
 * and calls `forget` when an environment is deleted.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { Router } from "express";
import type { Logger } from "../provisioner/logger.ts";
import type { BridgeConfig } from "./bridge-config.ts";
import { environmentLookup, protocolSource, type BridgeContext } from "./bridge-context.ts";
import type { BridgeEnvironments, BrowserLogSink, BrowserUser, RequestGuard } from "./bridge-deps.ts";
import { retryAfter } from "./bridge-errors.ts";
import { killStaleBrowsers } from "./browser/browser-labels.ts";
import { BrowserPool } from "./browser/browser-pool.ts";
import { findChromium } from "./browser/chromium-executable.ts";
import { BrowserUrlListeners } from "./browser-url/browser-url-listeners.ts";
import { BrowserUrlPorts } from "./browser-url/browser-url-ports.ts";
import { browserUrlHandlers } from "./browser-url/browser-url-server.ts";
import { cdpJsonRoutes, prefixedMount } from "./cdp/cdp-json-routes.ts";
import { cdpUpgrades, type UpgradeHandler } from "./cdp/cdp-websocket-proxy.ts";
import { resetRoute } from "./clean-slate/reset-route.ts";
import { devtoolsEndpoints } from "./devtools-endpoints.ts";
import { attachManagedBrowser, startManagedBrowser, type ManagedBrowser } from "./managed-browser.ts";
import { findFfmpeg } from "./recordings/ffmpeg-executable.ts";
import { recordingRoutes } from "./recordings/recording-routes.ts";
import { RecordingStore } from "./recordings/recording-store.ts";
import { Recordings } from "./recordings/recordings.ts";
import { screenshotRoutes } from "./screenshots/screenshot-routes.ts";
import { ScreenshotStore } from "./screenshots/screenshot-store.ts";

export interface DevtoolsBridgeOptions {
  /** The owner label of this previewd's processes (its data dir's owner id). */
  owner: string;
  /** previewd's data dir; user-data-dirs live in `<dataDir>/browsers` while their browser runs. */
  dataDir: string;
  /** As root: the user browsers run as, and where their user-data-dirs live instead. */
  browserUser?: BrowserUser;
  baseDomain: string;
  token?: string;
  /** previewd's Host and Origin check, run again on every WebSocket upgrade the bridge takes. */
  guard?: RequestGuard;
  environments: BridgeEnvironments;
  logs: BrowserLogSink;
  logger: Logger;
  config: BridgeConfig;
  /** The ffmpeg recordings run; default: the first on PATH (FfmpegUnavailableError, 503, when none). */
  ffmpeg?: () => Promise<string>;
}

export interface DevtoolsBridge {
  /** `/environments/:id/devtools/…` and `/environments/:id/screenshots/…`, to mount under /v1. */
  v1Routes: Router;
  /** `/json/protocol` at the server's root, where chrome-remote-interface looks for it. */
  rootRoutes: Router;
  handleUpgrade: UpgradeHandler;
  pool: BrowserPool<ManagedBrowser>;
  recordings: Recordings;
  /** The environment's `devtools.browserUrl`, once its listener is open. */
  browserUrl(envId: string): string | undefined;
  /** Opens the environment's own listener (idempotent), on the port it had before a restart. */
  openBrowserUrl(envId: string): Promise<string>;
  /** At start: listeners for these environments; the ports of any other are forgotten. */
  restoreBrowserUrls(envIds: readonly string[]): Promise<void>;
  /** The environment's deletion begins: its recordings are discarded and its browser stops. */
  stopBrowser(envId: string): Promise<void>;
  /** The environment is gone: its recordings are discarded, its browser stops and its browserUrl port is freed. */
  forget(envId: string): Promise<void>;
  close(): Promise<void>;
}

/** Kills the browsers a previous run left behind, then serves. */
export async function createDevtoolsBridge(options: DevtoolsBridgeOptions): Promise<DevtoolsBridge> {
  const { logger, config } = options;
  const browsersDir = options.browserUser?.browsersDir ?? path.join(options.dataDir, "browsers");
  const stale = await killStaleBrowsers(options.owner);
  if (stale.length > 0)
    logger.info({ envIds: stale.map((b) => b.envId) }, "killed browsers of a previous run");
  await rm(browsersDir, { recursive: true, force: true });

  let executable: Promise<string> | undefined;
  const pool: BrowserPool<ManagedBrowser> = new BrowserPool({
    maxBrowsers: config.maxBrowsers,
    // An environment's own browser (kubernetes) is attached to, not launched: it takes no slot.
    uncounted: (envId) => options.environments.remoteBrowser?.(envId) !== undefined,
    idleMs: config.idleMs,
    logger,
    async launch(envId) {
      const previewCookies = () => options.environments.previewCookies?.(envId) ?? [];
      const remote = options.environments.remoteBrowser?.(envId);
      if (remote)
        return attachManagedBrowser({
          envId,
          httpUrl: remote.httpUrl,
          sink: options.logs,
          logger,
          previewCookies,
        });
      executable ??= findChromium(config.chromiumPath);
      const chosen = await executable.catch((error: unknown) => {
        executable = undefined;
        throw error;
      });
      return startManagedBrowser({
        envId,
        executable: chosen,
        browsersDir,
        ...(options.browserUser && { user: options.browserUser }),
        owner: options.owner,
        baseDomain: options.baseDomain,
        sink: options.logs,
        logger,
        previewCookies,
      });
    },
  });
  // Each listener serves through the context and the upgrade handlers below, made by the time one opens.
  const listeners = new BrowserUrlListeners(
    await BrowserUrlPorts.open(path.join(options.dataDir, "browser-urls.json")),
    (envId) => browserUrlHandlers(context, upgrades, envId),
    logger,
  );
  const context: BridgeContext = {
    pool,
    environments: options.environments,
    logs: options.logs,
    logger,
    config,
    ...(options.token && { token: options.token }),
    ...(options.guard && { guard: options.guard }),
    requireEnvironment: environmentLookup(options.environments),
    protocol: protocolSource(() => pool.runningBrowsers().map((b) => b.port)),
    browserUrl: (envId) => listeners.url(envId),
  };
  const upgrades = cdpUpgrades(context);

  const v1Routes = Router();
  v1Routes.get("/environments/:id/devtools", async (req, res) => {
    const id = req.params.id;
    context.requireEnvironment(id);
    const origin = `${req.protocol}://${req.get("host") ?? "127.0.0.1"}`;
    res.json({
      ...devtoolsEndpoints(origin, id, await listeners.open(id)),
      running: pool.running(id) !== undefined,
    });
  });
  v1Routes.use("/environments/:id/devtools", cdpJsonRoutes(context, prefixedMount), resetRoute(context));
  v1Routes.use(
    "/environments/:id/screenshots",
    screenshotRoutes(context, new ScreenshotStore(options.environments.dataDir)),
  );
  const recordings = new Recordings({
    browsers: pool,
    store: new RecordingStore(options.environments.dataDir),
    owner: options.owner,
    ffmpeg: options.ffmpeg ?? (() => findFfmpeg()),
    logger,
  });
  v1Routes.use("/environments/:id/recordings", recordingRoutes(context, recordings));
  v1Routes.use(retryAfter);

  const rootRoutes = Router();
  rootRoutes.get("/json/protocol", async (_req, res) => {
    res.type("application/json").send(await context.protocol());
  });

  return {
    v1Routes,
    rootRoutes,
    handleUpgrade: upgrades.prefixed,
    pool,
    recordings,
    browserUrl: (envId) => listeners.url(envId),
    openBrowserUrl: (envId) => listeners.open(envId),
    restoreBrowserUrls: (envIds) => listeners.restore(envIds),
    async stopBrowser(envId) {
      await recordings.discard(envId);
      await pool.stop(envId);
    },
    async forget(envId) {
      await recordings.discard(envId);
      await Promise.all([pool.stop(envId), listeners.close(envId)]);
    },
    async close() {
      await recordings.close();
      await listeners.closeAll();
      await pool.close();
    },
  };
}
