/**
 * The example shop driven in its environment's browser at its public preview URL through the
 * bridge: click through to a product, read the page, screenshot.
 */
import { chromium } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import { pngSize } from "../helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "../helpers/chromium.ts";
import type { Harness } from "../helpers/previewd-harness.ts";
import type { ShopPreview } from "./shop-preview.ts";

export function describeDriveInBrowser(preview: () => ShopPreview): void {
  let harness: Harness;
  let shop: EnvironmentView;

  describe.skipIf(skipWithoutChromium)("examples/shop in its environment's browser", () => {
    beforeAll(() => {
      requireChromium();
      ({ harness, env: shop } = preview());
    });

    it("clicks through the storefront at its public URL and screenshots it", async () => {
      const web = shop.apps.web!.url;
      const browser = await chromium.connectOverCDP(shop.devtools!.http);
      try {
        const page = await browser.contexts()[0]!.newPage();
        await page.goto(web);
        expect(page.url()).toBe(`${web}/`);
        expect(await page.locator("#banner").textContent()).toBeTruthy();
        const products = page.locator("[data-testid=product-link]");
        if ((await products.count()) > 0) {
          const name = await products.first().textContent();
          await products.first().click();
          await page.waitForURL(/\/products\//);
          expect(await page.locator("#product-name").textContent()).toBe(name);
          await page.click("#buy");
          await page.waitForURL(/\/checkout/);
        } else {
          // No seed data: the page still says so, and the pager is there to read.
          expect(await page.locator("#page-info").textContent()).toMatch(/Page 1 of 1/);
        }
        expect(pngSize(await page.screenshot({ fullPage: true })).width).toBeGreaterThan(0);
        await page.close();
      } finally {
        await browser.close();
      }

      const shot = await harness.request<{ url: string; consoleErrors: string[] }>(
        "POST",
        `/v1/environments/${shop.id}/screenshots`,
        { waitFor: "#banner" },
      );
      expect(shot.status).toBe(201);
      const png = Buffer.from(await (await fetch(shot.body.url)).arrayBuffer());
      expect(pngSize(png)).toEqual({ width: 1280, height: 720 });
    });
  });
}
