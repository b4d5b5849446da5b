/**
 * Screenshot latency through the CDP bridge vs straight to the same browser's own DevTools port,
 * as a ratio, in one process and one run:
 * - warm: one open connection, page loaded, `Page.captureScreenshot` only (the PNG crosses the relay);
 * - cold: a new connection per screenshot (connect, new tab, navigate, capture, close the tab);
 * - first use: `POST /screenshots` on an environment whose browser is not running yet (absolute).
 * A row of `npm run bench` (`--only screenshot`).
 */
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../../provisioner/config.ts";
import { silentLogger } from "../../provisioner/logger.ts";
import { startPreviewd } from "../../provisioner/previewd.ts";
import { ownerIdOf } from "../../provisioner/owner-id.ts";
import { browserUser } from "../../provisioner/runtimes/process/runner-places.ts";
import { CdpConnection } from "../../devtools-bridge/cdp/cdp-connection.ts";
import { createBrowserFixture } from "../../test/helpers/browser-fixture.ts";
import { temporaryDataDir } from "../../test/helpers/previewd-harness.ts";
import type { BenchContext, BenchFigure } from "../bench-table.ts";

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/**
 * The browser's own endpoint, read from Chromium's DevToolsActivePort file (not from previewd):
 * in the data dir, or as root in the owner's folder of the root layout, where previewd puts it.
 */
async function directEndpoint(dataDir: string, envId: string): Promise<string> {
  const { browserUser: asRoot } = await browserUser(ownerIdOf(dataDir));
  const browsers = asRoot?.browsersDir ?? path.join(dataDir, "browsers");
  const dir = (await readdir(browsers)).find((d) => d.startsWith(`${envId}-`));
  const [port, wsPath] = (await readFile(path.join(browsers, dir!, "DevToolsActivePort"), "utf8"))
    .trim()
    .split("\n");
  return `ws://127.0.0.1:${port}${wsPath}`;
}

async function openPage(cdp: CdpConnection, url: string): Promise<{ targetId: string; sessionId: string }> {
  // A window each: a hidden tab paints no frames.
  const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", {
    url: "about:blank",
    newWindow: true,
  });
  const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
    targetId,
    flatten: true,
  });
  await cdp.send("Page.enable", {}, sessionId);
  const loaded = new Promise<void>((resolve) => {
    const off = cdp.on("Page.loadEventFired", (_params, from) => {
      if (from !== sessionId) return;
      off();
      resolve();
    });
  });
  await cdp.send("Page.navigate", { url }, sessionId);
  await loaded;
  return { targetId, sessionId };
}

/** Captures on an open connection and a loaded page; direct and bridge take turns, so load hits both alike. */
async function warm(endpoints: string[], url: string, iterations: number): Promise<number[][]> {
  const pages = await Promise.all(
    endpoints.map(async (endpoint) => {
      const cdp = await CdpConnection.open(endpoint);
      return { cdp, ...(await openPage(cdp, url)) };
    }),
  );
  const times = endpoints.map(() => [] as number[]);
  for (let i = 0; i < iterations; i++) {
    for (const [n, page] of pages.entries()) {
      times[n]!.push(
        await timed(() => page.cdp.send("Page.captureScreenshot", { format: "png" }, page.sessionId)),
      );
    }
  }
  for (const page of pages) {
    await page.cdp.send("Target.closeTarget", { targetId: page.targetId });
    page.cdp.close();
  }
  return times;
}

/** A new connection, tab and navigation per screenshot; direct and bridge take turns. */
async function cold(endpoints: string[], url: string, iterations: number): Promise<number[][]> {
  const times = endpoints.map(() => [] as number[]);
  for (let i = 0; i < iterations; i++) {
    for (const [n, endpoint] of endpoints.entries()) {
      times[n]!.push(
        await timed(async () => {
          const cdp = await CdpConnection.open(endpoint);
          const { targetId, sessionId } = await openPage(cdp, url);
          await cdp.send("Page.captureScreenshot", { format: "png" }, sessionId);
          await cdp.send("Target.closeTarget", { targetId });
          cdp.close();
          await cdp.closed;
        }),
      );
    }
  }
  return times;
}

export default async function screenshotRow(ctx: BenchContext): Promise<BenchFigure[]> {
  const iterations = ctx.quick ? 5 : 30;
  const dataDir = temporaryDataDir();
  const previewd = await startPreviewd(loadConfig({ dataDir, port: 0 }, {}), { logger: silentLogger });
  const { orchestrator } = previewd;
  try {
    const { environment } = await orchestrator.create({ repo: createBrowserFixture().dir });
    const env = await orchestrator.waitFor(environment.id, ["ready", "failed"], 120_000);
    if (env.status !== "ready") throw new Error(`environment failed: ${JSON.stringify(env.error)}`);
    const url = env.apps.web!.url;

    const firstUse = await timed(async () => {
      const response = await fetch(`${previewd.url}/v1/environments/${env.id}/screenshots`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      if (response.status !== 201) throw new Error(`screenshot failed: ${await response.text()}`);
    });
    const bridge = env.devtools!.webSocketDebuggerUrl!;
    const direct = await directEndpoint(dataDir, env.id);

    await warm([direct, bridge], url, iterations); // first paints and lazy handles out of the way
    const [warmDirect, warmBridge] = (await warm([direct, bridge], url, iterations)).map(median) as [
      number,
      number,
    ];
    const [coldDirect, coldBridge] = (await cold([direct, bridge], url, iterations)).map(median) as [
      number,
      number,
    ];
    ctx.log(
      `warm ${warmDirect.toFixed(1)} / ${warmBridge.toFixed(1)} ms, cold ${coldDirect.toFixed(1)} / ${coldBridge.toFixed(1)} ms (direct / bridge)`,
    );
    const figure = (name: string, d: number, b: number): BenchFigure => ({
      figure: `bridge screenshot / direct CDP, ${name}`,
      target: "≤ 1.1×",
      value: b / d,
      unit: "×",
      baseline: { label: "direct CDP", value: d, unit: "ms" },
      met: b / d <= 1.1,
      note: `median of ${iterations}; bridge ${b.toFixed(1)} ms`,
    });
    return [
      figure("warm: open connection, capture only", warmDirect, warmBridge),
      figure("cold: connect, new tab, navigate, capture", coldDirect, coldBridge),
      {
        figure: "first screenshot of an environment (browser start + POST /screenshots)",
        target: "report",
        value: firstUse,
        unit: "ms",
        met: true,
      },
    ];
  } finally {
    for (const env of orchestrator.list()) await orchestrator.delete(env.id);
    await orchestrator.idle();
    await previewd.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
