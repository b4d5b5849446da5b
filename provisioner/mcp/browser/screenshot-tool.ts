/**
 * browser_take_screenshot: the current page as it is now (after the agent's clicks), stored by
 * previewd (a URL to share, beside its other screenshots) and answered as an image sized for a
 * model's context: a capture larger than about 1.15 megapixels or 1568 pixels on a side comes
 * back scaled down as a JPEG; the stored PNG keeps every pixel.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Page } from "playwright-core";
import { z } from "zod";
import type { PreviewdClient } from "../../cli/client.ts";
import type { BrowserSessions } from "./browser-sessions.ts";
import { asBrowserToolResult, envIdShape } from "./browser-tool-result.ts";
import { elementFor, elementTargetShape } from "./element-target.ts";

export const MODEL_IMAGE_MAX_SIDE = 1568;
export const MODEL_IMAGE_MAX_PIXELS = 1_150_000;

interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

export function registerScreenshotTool(
  server: McpServer,
  client: PreviewdClient,
  sessions: BrowserSessions,
): void {
  server.registerTool(
    "browser_take_screenshot",
    {
      title: "Screenshot the current page",
      description:
        "Capture the current page as it is now (the viewport, the full page, or one element by ref or selector). " +
        "Answers the image, scaled for your context when large, and the URL where previewd keeps the full PNG. " +
        "To act on the page, browser_snapshot gives refs; a screenshot does not.",
      inputSchema: {
        ...envIdShape,
        fullPage: z.boolean().default(false).describe("the whole scrollable page, not just the viewport"),
        ...elementTargetShape,
      },
    },
    ({ id, fullPage, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const onElement = target.ref !== undefined || target.selector !== undefined;
        const element = onElement ? await elementFor(page, target) : undefined;
        const png = element ? await element.screenshot() : await page.screenshot({ fullPage });
        const stored = await client.storeScreenshot(id, png, page.url());
        const scale = scaleFor(stored.width, stored.height);
        const image =
          scale < 1
            ? {
                data: await scaledJpeg(page, await regionOf(page, element, fullPage, stored), scale),
                mimeType: "image/jpeg",
              }
            : { data: png.toString("base64"), mimeType: "image/png" };
        const shown =
          scale < 1
            ? { shownAt: `${Math.round(stored.width * scale)}×${Math.round(stored.height * scale)}` }
            : {};
        const meta = {
          url: stored.url,
          pageUrl: stored.pageUrl,
          width: stored.width,
          height: stored.height,
          ...shown,
        };
        return {
          content: [
            { type: "image", ...image },
            { type: "text", text: JSON.stringify(meta, null, 2) },
          ],
        } satisfies CallToolResult;
      }),
  );
}

export function scaleFor(width: number, height: number): number {
  return Math.min(
    1,
    MODEL_IMAGE_MAX_SIDE / Math.max(width, height),
    Math.sqrt(MODEL_IMAGE_MAX_PIXELS / (width * height)),
  );
}

/** The captured region in page coordinates (what Chromium's clip takes). */
async function regionOf(
  page: Page,
  element: Awaited<ReturnType<typeof elementFor>> | undefined,
  fullPage: boolean,
  size: { width: number; height: number },
): Promise<Region> {
  const scroll = (await page.evaluate("({ x: window.scrollX, y: window.scrollY })")) as {
    x: number;
    y: number;
  };
  if (element) {
    const box = await element.boundingBox();
    if (box) return { x: box.x + scroll.x, y: box.y + scroll.y, width: box.width, height: box.height };
  }
  return fullPage ? { x: 0, y: 0, ...size } : { ...scroll, ...size };
}

/**
 * Playwright captures at the page's own scale only; Chromium's screenshot command scales a region
 * itself, so the one smaller image is asked of it directly, through Playwright's CDP session.
 */
async function scaledJpeg(page: Page, clip: Region, scale: number): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { data } = await cdp.send("Page.captureScreenshot", {
      format: "jpeg",
      quality: 80,
      clip: { ...clip, scale },
      captureBeyondViewport: true,
    });
    return data;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
