/**
 * Opens a page in a window of its own, in a browser context of its own, waits for it, captures a
 * PNG and disposes of both. Its own context: a screenshot never shares cookies, storage or
 * visited-link state with clients' pages (it gets only the preview cookies), and clients never
 * see its window in their default context. Errors the page reports while loading come back as
 * `consoleErrors`. One deadline covers navigation and waiting; passing it is a NavigationError
 * naming the URL and the time.
 */
import { ValidationError } from "../../provisioner/errors.ts";
import { NavigationError } from "../bridge-errors.ts";
import { enablePageEvents, watchPageEvents } from "../browser-events/page-events.ts";
import type { CdpConnection } from "../cdp/cdp-connection.ts";
import { MAX_FULL_PAGE_HEIGHT } from "./screenshot-request.ts";

export interface CaptureOptions {
  url: string;
  width: number;
  height: number;
  fullPage: boolean;
  /** "load", "networkidle", or a CSS selector. */
  waitFor: string;
  timeoutMs: number;
}

export interface Capture {
  png: Buffer;
  width: number;
  height: number;
  consoleErrors: string[];
}

/** What a capture needs of the environment's browser (a ManagedBrowser). */
export interface ScreenshotBrowser {
  cdp: CdpConnection;
  /** Lets a browser context into the environment's protected previews. */
  authorizePreviews(browserContextId: string): Promise<void>;
  /** Targets `/json/list` must not show. */
  internalTargets: Set<string>;
}

export async function captureScreenshot(
  browser: ScreenshotBrowser,
  options: CaptureOptions,
): Promise<Capture> {
  const { cdp } = browser;
  const deadline = Date.now() + options.timeoutMs;
  const { browserContextId } = await cdp.send<{ browserContextId: string }>(
    "Target.createBrowserContext",
    {},
  );
  try {
    await browser.authorizePreviews(browserContextId);
    return await captureInContext(browser, browserContextId, options, deadline);
  } finally {
    // Closes its window too.
    await cdp.send("Target.disposeBrowserContext", { browserContextId }).catch(() => undefined);
  }
}

async function captureInContext(
  { cdp, internalTargets }: ScreenshotBrowser,
  browserContextId: string,
  options: CaptureOptions,
  deadline: number,
): Promise<Capture> {
  // A window of its own: a hidden tab paints no frames, and ours must not hide a client's page.
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", {
    url: "about:blank",
    newWindow: true,
    browserContextId,
  });
  internalTargets.add(targetId);
  try {
    const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    const consoleErrors: string[] = [];
    const unwatch = watchPageEvents(cdp, sessionId, (event) => {
      if (event.level === "error" && consoleErrors.length < 50) consoleErrors.push(event.text);
    });
    const lifecycle = new Map<string, Set<string>>();
    const offLifecycle = cdp.on("Page.lifecycleEvent", (params, from) => {
      if (from !== sessionId) return;
      const loaderId = String(params.loaderId);
      lifecycle.set(loaderId, (lifecycle.get(loaderId) ?? new Set()).add(String(params.name)));
    });
    try {
      await Promise.all([
        enablePageEvents(cdp, sessionId),
        cdp.send("Page.enable", {}, sessionId),
        cdp.send("Page.setLifecycleEventsEnabled", { enabled: true }, sessionId),
        cdp.send(
          "Emulation.setDeviceMetricsOverride",
          { width: options.width, height: options.height, deviceScaleFactor: 1, mobile: false },
          sessionId,
        ),
      ]);
      const navigation = await beforeDeadline(
        cdp.send<{ loaderId?: string; errorText?: string }>("Page.navigate", { url: options.url }, sessionId),
        deadline,
        options,
        "the page to respond",
      );
      if (navigation.errorText) {
        throw new NavigationError(`could not load ${options.url}: ${navigation.errorText}`, 502, options.url);
      }
      const event = options.waitFor === "networkidle" ? "networkIdle" : "load";
      await until(
        () => lifecycle.get(navigation.loaderId ?? "")?.has(event) === true,
        deadline,
        options,
        `"${event}"`,
      );
      if (options.waitFor !== "load" && options.waitFor !== "networkidle") {
        await waitForSelector(cdp, sessionId, options, deadline);
      }
      return { ...(await capture(cdp, sessionId, options)), consoleErrors };
    } finally {
      unwatch();
      offLifecycle();
    }
  } finally {
    // Out of internalTargets once Chrome reports it destroyed (managed-browser.ts), not before.
    await cdp.send("Target.closeTarget", { targetId }).catch(() => undefined);
  }
}

async function capture(
  cdp: CdpConnection,
  sessionId: string,
  options: CaptureOptions,
): Promise<{ png: Buffer; width: number; height: number }> {
  let height = options.height;
  if (options.fullPage) {
    const metrics = await cdp.send<{ cssContentSize?: { height: number }; contentSize?: { height: number } }>(
      "Page.getLayoutMetrics",
      {},
      sessionId,
    );
    const content = metrics.cssContentSize?.height ?? metrics.contentSize?.height ?? options.height;
    height = Math.max(1, Math.min(Math.ceil(content), MAX_FULL_PAGE_HEIGHT));
  }
  const { data } = await cdp.send<{ data: string }>(
    "Page.captureScreenshot",
    {
      format: "png",
      ...(options.fullPage && {
        clip: { x: 0, y: 0, width: options.width, height, scale: 1 },
        captureBeyondViewport: true,
      }),
    },
    sessionId,
  );
  return { png: Buffer.from(data, "base64"), width: options.width, height };
}

async function waitForSelector(
  cdp: CdpConnection,
  sessionId: string,
  options: CaptureOptions,
  deadline: number,
): Promise<void> {
  const expression = `(() => { try { return document.querySelector(${JSON.stringify(options.waitFor)}) !== null; } catch { return "invalid"; } })()`;
  await until(
    async () => {
      const { result } = await cdp.send<{ result: { value?: unknown } }>(
        "Runtime.evaluate",
        { expression, returnByValue: true },
        sessionId,
      );
      if (result.value === "invalid") {
        throw new ValidationError(`waitFor ${options.waitFor} is not a valid CSS selector`, {
          errors: [{ path: "waitFor", message: 'expected "load", "networkidle" or a valid CSS selector' }],
        });
      }
      return result.value === true;
    },
    deadline,
    options,
    `selector ${JSON.stringify(options.waitFor)}`,
  );
}

async function until(
  check: () => boolean | Promise<boolean>,
  deadline: number,
  options: CaptureOptions,
  what: string,
): Promise<void> {
  for (;;) {
    if (await check()) return;
    if (Date.now() >= deadline) throw timeout(options, what);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function beforeDeadline<T>(
  work: Promise<T>,
  deadline: number,
  options: CaptureOptions,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeout(options, what)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function timeout(options: CaptureOptions, what: string): NavigationError {
  return new NavigationError(
    `timed out after ${options.timeoutMs} ms waiting for ${what} at ${options.url}`,
    504,
    options.url,
  );
}
