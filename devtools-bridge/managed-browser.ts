/**
 * An environment's running browser as the bridge holds it: a Chromium (launched by the bridge, or
 * the environment's own it attaches to) plus the bridge's own DevTools connection (browser events
 * into the logs, screenshots).
 */
import { mkdir } from "node:fs/promises";
import type { Logger } from "../provisioner/logger.ts";
import type { BrowserLogSink, BrowserUser } from "./bridge-deps.ts";
import { logBrowserEvents } from "./browser-events/browser-event-logger.ts";
import { browserLabels } from "./browser/browser-labels.ts";
import type { PooledBrowser } from "./browser/browser-pool.ts";
import { launchChromium } from "./browser/launch-chromium.ts";
import { findRemoteChromium } from "./browser/remote-browser.ts";
import { CdpConnection } from "./cdp/cdp-connection.ts";
import { setPreviewCookies, type PreviewCookie } from "./browser/preview-cookies.ts";
import { ClientPages } from "./clean-slate/client-pages.ts";
import { trackLastNavigatedPage } from "./recordings/last-navigated-page.ts";

export interface ManagedBrowser extends PooledBrowser {
  envId: string;
  /** The browser target's id, as in `/devtools/browser/<id>`. */
  browserId: string;
  /** The environment's own browser (not launched by the bridge: stopping it only disconnects). */
  remote: boolean;
  /** The bridge's own browser-level connection. */
  cdp: CdpConnection;
  port: number;
  /**
   * Lets a browser context (default: the default one) into the environment's protected
   * previews; does nothing when previews are open. Set at start, again for each client.
   */
  authorizePreviews(browserContextId?: string): Promise<void>;
  /** What each client connection opened, closed when it leaves. */
  clients: ClientPages;
  /** The bridge's own targets (screenshot windows), which `/json/list` never shows. */
  internalTargets: Set<string>;
  /** The page navigated last (a recording's default page), if one is open. */
  lastNavigatedPage(): string | undefined;
}

/** What both a launched and an attached browser need. */
export interface ConnectBrowserOptions {
  envId: string;
  sink: BrowserLogSink;
  logger: Logger;
  /** The cookies that open the environment's protected previews (none when they are open). */
  previewCookies?: () => PreviewCookie[];
}

export interface StartBrowserOptions extends ConnectBrowserOptions {
  executable: string;
  /** Parent of the user-data-dirs, e.g. `<dataDir>/browsers`. */
  browsersDir: string;
  /** Who the browser runs as; undefined: previewd's own user. */
  user?: BrowserUser;
  owner: string;
  baseDomain: string;
}

export async function startManagedBrowser(options: StartBrowserOptions): Promise<ManagedBrowser> {
  // The user's user-data-dir is below it: that user must get in (root's umask may be 077).
  if (options.user) await options.user.prepare();
  else await mkdir(options.browsersDir, { recursive: true });
  const chromium = await launchChromium({
    executable: options.executable,
    parentDir: options.browsersDir,
    ...(options.user && { user: options.user }),
    baseDomain: options.baseDomain,
    labels: browserLabels(options.owner, options.envId),
  });
  try {
    const browser = await connectBrowser(chromium.port, chromium.browserId, options);
    options.logger.info({ env: options.envId, pid: chromium.pid, port: chromium.port }, "browser started");
    return {
      ...browser,
      exited: chromium.exited,
      async stop() {
        browser.cdp.close();
        await chromium.stop();
        options.logger.info({ env: options.envId }, "browser stopped");
      },
    };
  } catch (error) {
    await chromium.stop(0);
    throw error;
  }
}

/**
 * Attaches to the environment's own browser at `httpUrl` (BrowserUnavailableError, 503, when it is
 * not reachable). It is the environment's: `stop()` only disconnects, and `exited` resolves when
 * the connection to it breaks (the next use attaches again).
 */
export async function attachManagedBrowser(
  options: ConnectBrowserOptions & { httpUrl: string | undefined },
): Promise<ManagedBrowser> {
  const remote = await findRemoteChromium(options.envId, options.httpUrl);
  const browser = await connectBrowser(remote.port, remote.browserId, options);
  options.logger.info({ env: options.envId, port: remote.port }, "attached to the environment's browser");
  return {
    ...browser,
    remote: true,
    exited: browser.cdp.closed,
    async stop() {
      browser.cdp.close();
      await browser.cdp.closed;
      options.logger.info({ env: options.envId }, "detached from the environment's browser");
    },
  };
}

/** The bridge's connection to a running Chromium and what it keeps track of there. */
async function connectBrowser(
  port: number,
  browserId: string,
  options: ConnectBrowserOptions,
): Promise<Omit<ManagedBrowser, "exited" | "stop">> {
  const cdp = await CdpConnection.open(`ws://127.0.0.1:${port}/devtools/browser/${browserId}`);
  try {
    const internalTargets = new Set<string>();
    // Listening before logBrowserEvents turns target discovery on.
    const lastNavigatedPage = trackLastNavigatedPage(cdp, internalTargets);
    await logBrowserEvents(cdp, { envId: options.envId, sink: options.sink, logger: options.logger });
    const clients = new ClientPages(cdp, (error) =>
      options.logger.warn({ err: error, env: options.envId }, "closing a client's pages failed"),
    );
    cdp.on("Target.targetDestroyed", (params) => internalTargets.delete(String(params.targetId)));
    const authorizePreviews = (browserContextId?: string) =>
      setPreviewCookies(cdp, options.previewCookies?.() ?? [], browserContextId);
    await authorizePreviews();
    return {
      envId: options.envId,
      browserId,
      remote: false,
      cdp,
      port,
      authorizePreviews,
      clients,
      internalTargets,
      lastNavigatedPage,
    };
  } catch (error) {
    cdp.close();
    throw error;
  }
}
