/**
 * Generates docs/dashboard.png, the README's picture of the dashboard, from the real thing: a
 * previewd in this process runs examples/shop, takes a screenshot of its storefront and admin,
 * and headless Chromium opens the dashboard on that environment, 1280 wide (the whole page).
 *
 *   npx tsx scripts/dashboard-screenshot.ts [out.png] [--phone=phone.png]   (also a 390×844 phone)
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { chromiumPath } from "../test/helpers/chromium.ts";
import { startHarness } from "../test/helpers/previewd-harness.ts";
import { createShopRepo } from "../test/helpers/shop-repo.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const phone = args.find((arg) => arg.startsWith("--phone="))?.slice("--phone=".length);
const out = path.resolve(
  args.find((arg) => !arg.startsWith("--")) ?? path.join(repoRoot, "docs/dashboard.png"),
);
const say = (line: string) => process.stdout.write(`${line}\n`);

const harness = await startHarness();
try {
  say("provisioning examples/shop…");
  const created = await harness.create({ repo: createShopRepo(), ref: "main" }, 600);
  const env = created.body;
  if (env.status !== "ready") throw new Error(`shop is ${env.status}: ${JSON.stringify(env.error)}`);
  for (const app of ["web", "admin"]) {
    const shot = await harness.request("POST", `/v1/environments/${env.id}/screenshots`, { app });
    if (shot.status !== 201) throw new Error(`screenshot of ${app}: ${JSON.stringify(shot.body)}`);
  }
  // A few requests, so the log view has app lines and not only start-up.
  for (const route of ["/", "/products/1", "/checkout"]) await fetch(`${env.apps.web!.directUrl}${route}`);

  const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  try {
    const capture = async (file: string, viewport: { width: number; height: number }, fullPage: boolean) => {
      const page = await browser.newPage({ viewport, deviceScaleFactor: fullPage ? 1 : 2 });
      await page.goto(`${harness.url}/#/environments/${env.id}`);
      await page.locator(".app img").first().waitFor();
      await page.locator(".log-lines li").first().waitFor();
      await page.locator(".events tbody tr").first().waitFor();
      await page.waitForFunction("[...document.images].every((img) => img.complete && img.naturalWidth > 0)");
      await page.screenshot({ path: file, fullPage });
      await page.close();
      say(`wrote ${path.relative(process.cwd(), file)}`);
    };
    await capture(out, { width: 1280, height: 800 }, true);
    if (phone) await capture(path.resolve(phone), { width: 390, height: 844 }, false);
  } finally {
    await browser.close();
  }
} finally {
  await harness.close();
}
