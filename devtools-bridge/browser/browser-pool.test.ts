import { describe, expect, it } from "vitest";
import { silentLogger } from "../../provisioner/logger.ts";
import { TooManyBrowsersError } from "../bridge-errors.ts";
import { BrowserPool, type PooledBrowser } from "./browser-pool.ts";

/** Stands in for Chromium: the pool's bookkeeping is what is under test here. */
class FakeBrowser implements PooledBrowser {
  stopped = false;
  #exit!: () => void;
  readonly exited = new Promise<void>((resolve) => (this.#exit = resolve));
  constructor(readonly envId: string) {}
  crash(): void {
    this.#exit();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.#exit();
  }
}

function pool(
  options: { maxBrowsers?: number; idleMs?: number; uncounted?: (envId: string) => boolean } = {},
) {
  const launched: FakeBrowser[] = [];
  const browsers = new BrowserPool<FakeBrowser>({
    maxBrowsers: options.maxBrowsers ?? 2,
    idleMs: options.idleMs ?? 60_000,
    ...(options.uncounted && { uncounted: options.uncounted }),
    logger: silentLogger,
    async launch(envId) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      const browser = new FakeBrowser(envId);
      launched.push(browser);
      return browser;
    },
  });
  return { browsers, launched };
}

describe("BrowserPool", () => {
  it("starts one browser per environment however many ask at once", async () => {
    const { browsers, launched } = pool();
    const leases = await Promise.all([browsers.acquire("a"), browsers.acquire("a"), browsers.acquire("b")]);
    expect(launched.map((b) => b.envId).sort()).toEqual(["a", "b"]);
    expect(leases[0]!.browser).toBe(leases[1]!.browser);
    await browsers.close();
    expect(launched.every((b) => b.stopped)).toBe(true);
  });

  it("evicts the least recently used idle browser at the limit, and answers 429 when all are busy", async () => {
    const { browsers, launched } = pool({ maxBrowsers: 2 });
    (await browsers.acquire("a")).release();
    const b = await browsers.acquire("b");
    const c = await browsers.acquire("c");
    expect(launched.find((x) => x.envId === "a")?.stopped).toBe(true);
    expect(browsers.running("a")).toBeUndefined();
    const refused = await browsers.acquire("d").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyBrowsersError);
    expect((refused as TooManyBrowsersError).status).toBe(429);
    expect((refused as TooManyBrowsersError).retryAfterSeconds).toBeGreaterThan(0);
    b.release();
    c.release();
    await browsers.close();
  });

  it("does not count environments' own browsers towards maxBrowsers", async () => {
    const { browsers, launched } = pool({ maxBrowsers: 1, uncounted: (envId) => envId.startsWith("own-") });
    const a = await browsers.acquire("a");
    const own = await Promise.all([browsers.acquire("own-1"), browsers.acquire("own-2")]);
    expect(launched).toHaveLength(3);
    expect(
      (await browsers.acquire("b").catch((error: unknown) => error)) instanceof TooManyBrowsersError,
    ).toBe(true);
    a.release();
    const b = await browsers.acquire("b");
    expect(launched.find((x) => x.envId === "a")?.stopped).toBe(true);
    expect(launched.filter((x) => x.envId.startsWith("own-")).some((x) => x.stopped)).toBe(false);
    for (const lease of [b, ...own]) lease.release();
    await browsers.close();
  });

  it("stops a browser once it has been idle for idleMs, not while it is held", async () => {
    const { browsers, launched } = pool({ idleMs: 50 });
    const lease = await browsers.acquire("a");
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(launched[0]!.stopped).toBe(false);
    lease.release();
    lease.release(); // idempotent
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(launched[0]!.stopped).toBe(true);
    expect(browsers.size).toBe(0);
  });

  it("forgets a crashed browser so the next use starts a new one", async () => {
    const { browsers, launched } = pool();
    const first = await browsers.acquire("a");
    first.release();
    launched[0]!.crash();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await browsers.acquire("a");
    expect(second.browser).not.toBe(first.browser);
    second.release();
    await browsers.close();
  });

  it("stops an environment's browser on request", async () => {
    const { browsers, launched } = pool();
    (await browsers.acquire("a")).release();
    await browsers.stop("a");
    expect(launched[0]!.stopped).toBe(true);
    await browsers.stop("unknown");
  });
});
