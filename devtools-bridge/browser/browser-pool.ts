/**
 * One browser per environment: started on first use (once, however many ask at the same time),
 * stopped after `idleMs` without connections or requests, on `stop(envId)`, or forgotten when it
 * crashes so the next use starts a new one. At most `maxBrowsers` run: a new one evicts the
 * least recently used idle browser, and when every browser is busy the caller gets 429. Browsers
 * that are not the bridge's (`uncounted`: an environment's own, attached to) do not count.
 */
import type { Logger } from "../../provisioner/logger.ts";
import { TooManyBrowsersError } from "../bridge-errors.ts";

export interface PooledBrowser {
  /** Resolves when the browser process is gone, whatever the reason. */
  exited: Promise<unknown>;
  stop(): Promise<void>;
}

export interface BrowserPoolOptions<B extends PooledBrowser> {
  launch(envId: string): Promise<B>;
  maxBrowsers: number;
  /** True for environments whose browser is not the bridge's to run: they do not count towards maxBrowsers. */
  uncounted?(envId: string): boolean;
  idleMs: number;
  logger: Logger;
  /** Seconds a refused caller is told to wait (Retry-After). */
  retryAfterSeconds?: number;
  now?: () => number;
}

interface Entry<B> {
  ready: Promise<B>;
  browser?: B;
  /** Open connections and in-flight operations. */
  holds: number;
  /** Counts towards maxBrowsers. */
  counted: boolean;
  lastUsed: number;
  timer?: NodeJS.Timeout;
  stopping?: Promise<void>;
}

export interface Lease<B> {
  browser: B;
  /** Idempotent. */
  release(): void;
}

export class BrowserPool<B extends PooledBrowser> {
  readonly #entries = new Map<string, Entry<B>>();
  readonly #options: BrowserPoolOptions<B>;
  readonly #now: () => number;
  #closed = false;

  constructor(options: BrowserPoolOptions<B>) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The environment's browser, started if need be, held until `release()`. */
  async acquire(envId: string): Promise<Lease<B>> {
    const entry = await this.#entryFor(envId);
    entry.holds++;
    entry.lastUsed = this.#now();
    clearTimeout(entry.timer);
    let browser: B;
    try {
      browser = await entry.ready;
    } catch (error) {
      entry.holds--;
      throw error;
    }
    let released = false;
    return {
      browser,
      release: () => {
        if (released) return;
        released = true;
        entry.holds--;
        entry.lastUsed = this.#now();
        if (entry.holds === 0) this.#scheduleIdle(envId, entry);
      },
    };
  }

  /** The running browser, without starting one. */
  running(envId: string): B | undefined {
    const entry = this.#entries.get(envId);
    return entry?.stopping ? undefined : entry?.browser;
  }

  /** Counts as use (an HTTP request), postponing the idle stop. */
  touch(envId: string): void {
    const entry = this.#entries.get(envId);
    if (!entry) return;
    entry.lastUsed = this.#now();
    if (entry.holds === 0) this.#scheduleIdle(envId, entry);
  }

  runningBrowsers(): B[] {
    return [...this.#entries.values()].flatMap((e) => (e.browser && !e.stopping ? [e.browser] : []));
  }

  get size(): number {
    return this.#entries.size;
  }

  async stop(envId: string): Promise<void> {
    const entry = this.#entries.get(envId);
    if (!entry) return;
    await this.#stopEntry(envId, entry);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#entries].map(([envId, entry]) => this.#stopEntry(envId, entry)));
  }

  async #entryFor(envId: string): Promise<Entry<B>> {
    for (;;) {
      const entry = this.#entries.get(envId);
      if (!entry) return this.#start(envId);
      if (!entry.stopping) return entry;
      await entry.stopping;
    }
  }

  async #start(envId: string): Promise<Entry<B>> {
    if (this.#closed) throw new TooManyBrowsersError("previewd is shutting down", 0);
    const counted = !this.#options.uncounted?.(envId);
    if (counted && this.#counted().length >= this.#options.maxBrowsers) await this.#evict();
    // Another caller may have started it while we evicted.
    if (this.#entries.has(envId)) return this.#entryFor(envId);
    const entry: Entry<B> = { ready: this.#options.launch(envId), holds: 0, counted, lastUsed: this.#now() };
    this.#entries.set(envId, entry);
    entry.ready.then(
      (browser) => {
        entry.browser = browser;
        void browser.exited.then(() => {
          if (this.#entries.get(envId) !== entry || entry.stopping) return;
          this.#options.logger.warn(
            { env: envId },
            "browser exited unexpectedly; the next use starts a new one",
          );
          void this.#stopEntry(envId, entry);
        });
      },
      () => {
        if (this.#entries.get(envId) === entry) this.#entries.delete(envId);
      },
    );
    return entry;
  }

  async #evict(): Promise<void> {
    const idle = this.#counted()
      .filter(([, entry]) => entry.holds === 0 && entry.browser && !entry.stopping)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    const victim = idle[0];
    if (!victim) {
      const seconds = this.#options.retryAfterSeconds ?? 10;
      throw new TooManyBrowsersError(
        `all ${this.#options.maxBrowsers} browsers are in use (PREVIEWD_MAX_BROWSERS); retry in ${seconds} s`,
        seconds,
      );
    }
    this.#options.logger.info({ env: victim[0] }, "stopping the least recently used idle browser");
    await this.#stopEntry(victim[0], victim[1]);
  }

  #counted(): [string, Entry<B>][] {
    return [...this.#entries].filter(([, entry]) => entry.counted);
  }

  #scheduleIdle(envId: string, entry: Entry<B>): void {
    clearTimeout(entry.timer);
    const wait = Math.max(0, entry.lastUsed + this.#options.idleMs - this.#now());
    entry.timer = setTimeout(() => {
      if (entry.holds > 0 || this.#entries.get(envId) !== entry) return;
      if (this.#now() - entry.lastUsed < this.#options.idleMs) return this.#scheduleIdle(envId, entry);
      this.#options.logger.info({ env: envId }, "stopping idle browser");
      void this.#stopEntry(envId, entry);
    }, wait);
    entry.timer.unref();
  }

  #stopEntry(envId: string, entry: Entry<B>): Promise<void> {
    entry.stopping ??= (async () => {
      clearTimeout(entry.timer);
      const browser = await entry.ready.catch(() => undefined);
      await browser
        ?.stop()
        .catch((error: unknown) =>
          this.#options.logger.warn({ env: envId, err: error }, "stopping the browser failed"),
        );
      if (this.#entries.get(envId) === entry) this.#entries.delete(envId);
    })();
    return entry.stopping;
  }
}
