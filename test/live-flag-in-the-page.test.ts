/**
 * A flag change shows in the shop's storefront without a restart or a reload: the page's banner
 * reads `banner-text` with the OpenFeature web SDK and OFREP web provider (through the web app's
 * same-origin proxy to previewd), and previewd's change notification makes it update in place.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { chromiumPath, requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { exited, freePort } from "./helpers/serve-process.ts";
import { shopDir } from "./helpers/shop-modules.ts";

const token = "live-flags-token";
const auth = { authorization: `Bearer ${token}` };
let harness: Harness;
let env: EnvironmentView;
let web: ChildProcess;
let catalog: http.Server;
let browser: Browser;
let webUrl: string;

describe.skipIf(skipWithoutChromium)("a flag change in the shop's page", () => {
  beforeAll(async () => {
    requireChromium();
    execFileSync("npx", ["tsc", "-b", "apps/web"], { cwd: shopDir, stdio: "ignore" });
    // previewd holds the flags: an environment whose manifest declares the shop's banner-text.
    const manifest = `version: 1
name: banner
apps:
  web: { path: apps/web, start: node server.js, health: /healthz }
flags:
  banner-text: { type: string, default: Welcome }
`;
    harness = await startHarness({ token });
    const created = await harness.request<EnvironmentView>(
      "POST",
      "/v1/environments?wait=true&timeout=120",
      { repo: createFixtureRepo({ files: { "preview.yaml": manifest } }).dir },
      auth,
    );
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
    const flagsToken = (await import("../provisioner/flags/flags-token.ts")).flagsToken(token, env.id);

    // The storefront itself, run as previewd would run it, with a stand-in catalog API.
    catalog = http
      .createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ items: [], total: 0, page: 1, pageSize: 20 }));
      })
      .listen(0, "127.0.0.1");
    await new Promise((resolve) => catalog.once("listening", resolve));
    const port = await freePort();
    web = spawn(process.execPath, [path.join(shopDir, "apps/web/dist/server.js")], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        API_URL: `http://127.0.0.1:${(catalog.address() as { port: number }).port}`,
        PREVIEW_FLAGS_URL: `${harness.url}/v1/environments/${env.id}`,
        PREVIEW_FLAGS_TOKEN: flagsToken,
      },
      stdio: "ignore",
    });
    webUrl = `http://127.0.0.1:${port}`;
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`${webUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (web && web.exitCode === null) {
      web.kill("SIGTERM");
      await exited(web);
    }
    catalog?.close();
    await harness?.close();
  });

  it("updates the banner in place when banner-text changes", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    // previewd notifies only the streams open when a flag changes, so the change must wait for the
    // provider's stream; previewd subscribes it before sending headers, so "open" means subscribed.
    await page.addInitScript(`{
      const Native = window.EventSource;
      window.EventSource = class extends Native {
        constructor(url, init) {
          super(url, init);
          if (String(url).includes("/ofrep/"))
            this.addEventListener("open", () => { window.__flagStreamOpen = true; });
        }
      };
    }`);
    await page.goto(webUrl);
    const banner = page.locator("#banner");
    await expect.poll(() => banner.getAttribute("data-live"), { timeout: 10_000 }).toBe("true");
    expect(await banner.textContent()).toBe("Welcome");
    await page.waitForFunction("window.__flagStreamOpen === true", undefined, { timeout: 10_000 });

    const put = await harness.request(
      "PUT",
      `/v1/environments/${env.id}/flags/banner-text`,
      { value: "Spring sale" },
      auth,
    );
    expect(put.status).toBe(200);
    // The SSE notification (not the 5 s poll) brings it: well within the poll interval.
    await expect.poll(() => banner.textContent(), { timeout: 4000, interval: 100 }).toBe("Spring sale");
    expect(errors).toEqual([]);
  });
});
