/**
 * An agent records a video while it drives a checkout in examples/shop's environment: it starts a
 * recording of the page it navigated, adds a product and places the order with Playwright over
 * the bridge, disconnects, stops the recording and gets a real WebM (ffprobe reads it) as long as
 * the flow took. Over MCP, start_recording records the session's own page. Deleting the
 * environment takes its videos and any ffmpeg still recording.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import { requireChromium, skipWithoutChromium } from "../helpers/chromium.ts";
import { probeVideo, requireFfmpeg, skipWithoutFfmpeg } from "../helpers/ffprobe.ts";
import type { Harness } from "../helpers/previewd-harness.ts";
import { liveProcesses } from "../helpers/processes.ts";
import type { ShopPreview } from "./shop-preview.ts";

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

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

/** ffmpeg processes recording for this environment, found by their labels in /proc. */
function recordingProcesses(envId: string): number[] {
  return liveProcesses()
    .filter(
      (p) => p.environ.includes(`PREVIEWD_ENV_ID=${envId}`) && p.environ.includes("PREVIEWD_ROLE=recording"),
    )
    .map((p) => p.pid);
}

export function describeRecordACheckoutFlow(preview: () => ShopPreview): void {
  let harness: Harness;
  let shop: EnvironmentView;
  let scratch: string;
  // Shared by the steps below, in order: the checkout's video, and a page no client owns.
  let checkout: { id: string; url: string };
  let unowned: string;

  describe.skipIf(skipWithoutChromium || skipWithoutFfmpeg)("recording a checkout flow", () => {
    beforeAll(() => {
      requireChromium();
      requireFfmpeg();
      scratch = mkdtempSync(path.join(os.tmpdir(), "previewd-videos-"));
      ({ harness, env: shop } = preview());
    });
    afterAll(async () => {
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it("records the checkout past the client's disconnect: a real-time WebM", async () => {
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
      checkout = { id: start.body.id, url: stop.body.url };
    });

    it("over MCP: start_recording takes the session's own page, stop_recording answers the video", async () => {
      const id = shop.id;
      const web = shop.apps.web!.url;
      const transport = new StreamableHTTPClientTransport(new URL(`${harness.url}/mcp`));
      const client = new Client({ name: "previewd-tests", version: "1.0.0" });
      await client.connect(transport);
      try {
        const navigated = await call(client, "browser_navigate", { id, app: "web", path: "/" });
        expect(navigated.isError, text(navigated)).toBeFalsy();
        // Another page navigated after the session's: the session's page is still the one recorded.
        const opened = await harness.request<{ id: string }>(
          "PUT",
          `/v1/environments/${id}/devtools/json/new?${encodeURIComponent(`${web}/checkout`)}`,
        );
        expect(opened.status).toBe(200);
        unowned = opened.body.id;
        const started = await call(client, "start_recording", { id });
        expect(started.isError, text(started)).toBeFalsy();
        const recording = JSON.parse(text(started).slice(text(started).indexOf("\n\n"))) as Started;
        expect(recording.pageUrl).toBe(`${web}/`);
        await call(client, "browser_navigate", { id, app: "web", path: "/checkout" });
        const stopped = await call(client, "stop_recording", { id, recording: recording.id });
        expect(stopped.isError, text(stopped)).toBeFalsy();
        expect(text(stopped)).toMatch(/^video: http:\/\/\S+\.webm \(\d+\.\d s, \d+ frames\)/);
      } finally {
        await transport.terminateSession();
        await client.close();
      }
    });

    it("deletes the videos and a recording still running with the environment", async () => {
      const id = shop.id;
      const recordings = `/v1/environments/${id}/recordings`;
      const unknown = await harness.request<{ errors: { path: string }[] }>("POST", recordings, {
        targetId: "NOT-A-PAGE",
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.errors[0]!.path).toBe("targetId");
      // On the page opened with PUT /json/new, which no client owns: it stays open until the delete.
      const running = await harness.request<Started>("POST", recordings, { targetId: unowned });
      expect(running.status, JSON.stringify(running.body)).toBe(201);
      expect(recordingProcesses(id)).toHaveLength(1);
      const videos = path.join(harness.previewd.orchestrator.dataDir(id), "recordings");
      expect(existsSync(path.join(videos, `${checkout.id}.webm`))).toBe(true);

      expect((await harness.request("DELETE", `/v1/environments/${id}?wait=true`)).status).toBe(204);
      expect(recordingProcesses(id)).toEqual([]);
      expect(existsSync(videos)).toBe(false);
      expect((await fetch(checkout.url)).status).toBe(404);
    });
  });
}
