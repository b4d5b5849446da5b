/**
 * An agent records a video while it drives a checkout in examples/shop's environment: it starts a
 * recording of the page it navigated, adds a product and places the order with Playwright over
 * the bridge, disconnects, stops the recording and gets a real WebM (ffprobe reads it) as long as
 * the flow took. Deleting the environment takes its videos and any ffmpeg still recording.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { browserPids } from "./helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { probeVideo, requireFfmpeg, skipWithoutFfmpeg } from "./helpers/ffprobe.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { liveProcesses, ownerIdOf } from "./helpers/processes.ts";
import { createShopRepo } from "./helpers/shop-repo.ts";

let harness: Harness;
let shop: EnvironmentView;
let repo: string;
let scratch: string;
// A cold `npm ci` and the shop's builds on a loaded machine: the provisioning wait fills the hook.
const setupTimeoutMs = 600_000;

interface Started {
  id: string;
  targetId: string;
  pageUrl: string;
  stopUrl: string;
}
interface Stopped {
  id: string;
  url: string;
  durationMs: number;
  frames: number;
  endedBy: string;
}

/** ffmpeg processes recording for this environment, found by their labels in /proc. */
function recordingProcesses(envId: string): number[] {
  return liveProcesses()
    .filter(
      (p) => p.environ.includes(`PREVIEWD_ENV_ID=${envId}`) && p.environ.includes("PREVIEWD_ROLE=recording"),
    )
    .map((p) => p.pid);
}

describe.skipIf(skipWithoutChromium || skipWithoutFfmpeg)("recording a checkout flow", () => {
  beforeAll(async () => {
    requireChromium();
    requireFfmpeg();
    scratch = mkdtempSync(path.join(os.tmpdir(), "previewd-videos-"));
    repo = createShopRepo();
    harness = await startHarness();
    shop = (await harness.create({ repo }, setupTimeoutMs / 1000 - 60)).body;
    expect(shop.status, JSON.stringify(shop.error)).toBe("ready");
  }, setupTimeoutMs);
  afterAll(async () => {
    const owner = harness ? ownerIdOf(harness.dataDir) : "";
    await harness?.close();
    expect(browserPids(owner)).toEqual([]);
    await Promise.all([repo, scratch].map((dir) => dir && rm(dir, { recursive: true, force: true })));
  });

  it("records the checkout past the client's disconnect, and the video goes with the environment", async () => {
    const id = shop.id;
    const web = shop.apps.web!.url;
    const recordings = `/v1/environments/${id}/recordings`;

    const browser = await chromium.connectOverCDP(shop.devtools!.http);
    const page = await browser.contexts()[0]!.newPage();
    await page.goto(web);
    const asked = Date.now();
    // No targetId: the page navigated last, the one this client drives.
    const start = await harness.request<Started>("POST", recordings, {});
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    expect(start.body.pageUrl).toBe(`${web}/`);
    const recordingFrom = Date.now();

    await page.locator("[data-testid=product-link]").first().click();
    await page.waitForURL(/\/products\/\d+$/);
    await page.click("#buy");
    await page.waitForURL(/\/checkout/);
    await page.selectOption("#customer", { label: "Ada Lovelace" });
    await page.click("#place-order");
    await page.locator("#order-confirmation").waitFor();
    const drivenMs = Date.now() - recordingFrom;
    // The client leaves (its page closes with it); the recording was previewd's, not the client's.
    await browser.close();

    const stop = await harness.request<Stopped>("POST", `${recordings}/${start.body.id}/stop`);
    const elapsedMs = Date.now() - asked;
    expect(stop.status, JSON.stringify(stop.body)).toBe(200);
    expect(stop.body.url).toBe(`${harness.url}${recordings}/${start.body.id}.webm`);
    expect(["page-closed", "stop"]).toContain(stop.body.endedBy);
    expect(stop.body.frames).toBeGreaterThan(5);
    // Real time: the video covers the whole flow, and no more than the recording lasted.
    expect(stop.body.durationMs).toBeGreaterThanOrEqual(drivenMs - 100);
    expect(stop.body.durationMs).toBeLessThanOrEqual(elapsedMs + 100);

    const again = await harness.request<{ status: number; detail: string }>(
      "POST",
      `${recordings}/${start.body.id}/stop`,
    );
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(`${start.body.id}.webm`);

    const response = await fetch(stop.body.url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("video/webm");
    const file = path.join(scratch, "checkout.webm");
    writeFileSync(file, Buffer.from(await response.arrayBuffer()));
    const video = probeVideo(file);
    expect(["vp8", "vp9"]).toContain(video.codec);
    expect(video.formatName).toContain("webm");
    expect(video.frames).toBe(stop.body.frames);
    expect(video.durationSeconds).toBeGreaterThan(0);

    // A second recording, still running when the environment is deleted, on a page nobody's client owns.
    const opened = await harness.request<{ id: string }>(
      "PUT",
      `/v1/environments/${id}/devtools/json/new?${encodeURIComponent(web)}`,
    );
    expect(opened.status).toBe(200);
    const unknown = await harness.request<{ errors: { path: string }[] }>("POST", recordings, {
      targetId: "NOT-A-PAGE",
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0]!.path).toBe("targetId");
    const running = await harness.request<Started>("POST", recordings, { targetId: opened.body.id });
    expect(running.status, JSON.stringify(running.body)).toBe(201);
    expect(recordingProcesses(id)).toHaveLength(1);
    const videos = path.join(harness.previewd.orchestrator.dataDir(id), "recordings");
    expect(existsSync(path.join(videos, `${start.body.id}.webm`))).toBe(true);

    expect((await harness.request("DELETE", `/v1/environments/${id}?wait=true`)).status).toBe(204);
    expect(recordingProcesses(id)).toEqual([]);
    expect(existsSync(videos)).toBe(false);
    expect((await fetch(stop.body.url)).status).toBe(404);
  });
});
