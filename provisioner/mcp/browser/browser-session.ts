/**
 * One agent's hold on one environment's browser: a Playwright connection over CDP to the
 * environment's bridge, a browser context of its own (no cookies, storage or history shared
 * with other agents or clients; the bridge gives it the preview cookies), and the page the
 * tools act on. Closing it closes its context and disconnects; the bridge closes whatever a
 * connection opened when it leaves, should this process die first.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { BrowserToolError } from "./browser-errors.ts";

export interface CdpEndpoint {
  url: string;
  headers: Record<string, string>;
}

const DEFAULT_VIEWPORT = { width: 1280, height: 720 };
const ACTION_TIMEOUT_MS = 10_000;
const NAVIGATION_TIMEOUT_MS = 30_000;

export class BrowserSession {
  readonly #browser: Browser;
  readonly #context: BrowserContext;
  #current: Page | undefined;

  private constructor(
    readonly envId: string,
    browser: Browser,
    context: BrowserContext,
  ) {
    this.#browser = browser;
    this.#context = context;
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    // A popup or a new tab is where the agent's next step happens.
    context.on("page", (page) => (this.#current = page));
  }

  static async connect(envId: string, endpoint: CdpEndpoint): Promise<BrowserSession> {
    // Loaded on first use: `previewd mcp` answers `initialize` without it (see "A compiled CLI").
    const { chromium } = await import("playwright-core");
    const browser = await chromium.connectOverCDP(endpoint.url, {
      headers: endpoint.headers,
      timeout: NAVIGATION_TIMEOUT_MS,
    });
    try {
      return new BrowserSession(envId, browser, await browser.newContext({ viewport: DEFAULT_VIEWPORT }));
    } catch (error) {
      await browser.close().catch(() => undefined);
      throw error;
    }
  }

  get connected(): boolean {
    return this.#browser.isConnected();
  }

  /** The page the tools act on; BrowserToolError when there is none yet. */
  page(): Page {
    const page = this.#livePage();
    if (!page) {
      throw new BrowserToolError(
        `no page is open in environment ${this.envId}'s browser for this session: open one with browser_navigate`,
      );
    }
    return page;
  }

  /** The page to navigate in: the current one, or a new one. */
  async pageToNavigate(): Promise<Page> {
    return this.#livePage() ?? (await this.newTab());
  }

  tabs(): Page[] {
    return this.#context.pages();
  }

  isCurrent(page: Page): boolean {
    return page === this.#livePage();
  }

  async selectTab(index: number): Promise<Page> {
    const page = this.#tab(index);
    this.#current = page;
    // A tab in the background paints no frames: screenshots of it would hang.
    await page.bringToFront();
    return page;
  }

  async newTab(): Promise<Page> {
    const page = await this.#context.newPage();
    this.#current = page;
    return page;
  }

  async closeTab(index: number): Promise<void> {
    const page = this.#tab(index);
    await page.close();
    if (this.#current === page) this.#current = undefined;
    const next = this.#livePage();
    if (next) await next.bringToFront();
  }

  /** Closes its context (and so its pages) and disconnects. */
  async close(): Promise<void> {
    await this.#context.close().catch(() => undefined);
    await this.#browser.close().catch(() => undefined);
  }

  #livePage(): Page | undefined {
    if (this.#current && !this.#current.isClosed()) return this.#current;
    this.#current = this.#context.pages().at(-1);
    return this.#current;
  }

  #tab(index: number): Page {
    const pages = this.#context.pages();
    const page = pages[index];
    if (!page) {
      throw new BrowserToolError(
        `no tab ${index}: there ${pages.length === 1 ? "is 1 tab" : `are ${pages.length} tabs`} ` +
          "(browser_tabs with action list shows them, numbered from 0)",
      );
    }
    return page;
  }
}
