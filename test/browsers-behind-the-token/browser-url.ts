/**
 * With PREVIEWD_TOKEN set, an environment's browserUrl wants the token like the rest of the
 * bridge (`Authorization: Bearer` or `?token=`, on HTTP and WebSocket), and each CDP client
 * connects with the one line README gives for it. The environment's previews are protected too:
 * pages the clients open, and screenshots in their own browser context, still get in.
 */
import CDP from "chrome-remote-interface";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";
import { beforeAll, describe, expect, it } from "vitest";
import { upgradeStatus } from "../helpers/upgrade-status.ts";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import type { Harness } from "../helpers/previewd-harness.ts";
import { auth, token, type TokenPreviewd } from "./token-previewd.ts";

export function describeBrowserUrl(previewd: () => TokenPreviewd): void {
  let harness: Harness;
  let env: EnvironmentView;
  let browserUrl: string;

  describe("browserUrl behind the token", () => {
    beforeAll(() => {
      ({ harness, a: env } = previewd());
      browserUrl = env.devtools!.browserUrl;
    });

    it("wants the token on HTTP, as Bearer or ?token=, and hands ?token= on to the WebSocket URLs", async () => {
      for (const path of ["/json/version", "/json/list", "/json/protocol"]) {
        const refused = await fetch(`${browserUrl}${path}`);
        expect(refused.status, path).toBe(401);
        expect(refused.headers.get("www-authenticate")).toMatch(/Bearer/);
        expect(
          (await fetch(`${browserUrl}${path}`, { headers: { authorization: "Bearer wrong" } })).status,
        ).toBe(401);
        expect((await fetch(`${browserUrl}${path}`, { headers: auth })).status, path).toBe(200);
      }
      const byQuery = await fetch(`${browserUrl}/json/version?token=${token}`);
      expect(byQuery.status).toBe(200);
      const { webSocketDebuggerUrl } = (await byQuery.json()) as { webSocketDebuggerUrl: string };
      expect(webSocketDebuggerUrl).toMatch(
        new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/devtools/browser/[0-9a-f-]{36}\\?token=${token}$`),
      );
    });

    it("wants the token on WebSocket upgrades, as Bearer or ?token=", async () => {
      const endpoint = `${browserUrl.replace(/^http/, "ws")}/devtools/browser/${env.devtools!.webSocketDebuggerUrl!.split("/").at(-1)}`;
      expect(await upgradeStatus(endpoint)).toBe(401);
      expect(await upgradeStatus(`${endpoint}?token=wrong`)).toBe(401);
      expect(await upgradeStatus(`${endpoint}?token=${token}`)).toBe(101);
      expect(await upgradeStatus(endpoint, auth)).toBe(101);
    });

    it("Playwright connects with the token in headers and drives a protected preview", async () => {
      const browser = await chromium.connectOverCDP(browserUrl, { headers: auth });
      try {
        const page = await browser.contexts()[0]!.newPage();
        await page.goto(env.apps.web!.url);
        await page.click("#inc");
        expect(await page.textContent("#count")).toBe("1");
      } finally {
        await browser.close();
      }
    });

    it("puppeteer connects to the WebSocket endpoint with the token in headers (browserURL cannot carry one)", async () => {
      const browser = await puppeteer.connect({
        browserWSEndpoint: env.devtools!.webSocketDebuggerUrl!,
        headers: auth,
      });
      try {
        const page = await browser.newPage();
        await page.goto(env.apps.web!.url);
        expect(await page.$eval("#version", (el) => el.textContent)).toBe("main");
      } finally {
        await browser.disconnect();
      }
    });

    it("chrome-remote-interface connects with the token added to the /json paths", async () => {
      const port = Number(new URL(browserUrl).port);
      // README's one line: CRI sends no headers, so ?token= goes on the /json requests; the
      // WebSocket URLs in the answers carry it from there.
      const client = await CDP({
        host: "127.0.0.1",
        port,
        alterPath: (p: string) =>
          p.startsWith("/json") ? `${p}${p.includes("?") ? "&" : "?"}token=${token}` : p,
      });
      try {
        await client.Page.enable();
        const loaded = client.Page.loadEventFired();
        await client.Page.navigate({ url: env.apps.web!.url });
        await loaded;
        const { result } = await client.Runtime.evaluate({
          expression: `document.getElementById("version").textContent`,
        });
        expect(result.value).toBe("main");
        await client.Page.navigate({ url: "about:blank" });
      } finally {
        await client.close();
      }
    });

    it("takes screenshots of protected previews in their own browser context", async () => {
      const shot = await harness.request<{ consoleErrors: string[] }>(
        "POST",
        `/v1/environments/${env.id}/screenshots`,
        { waitFor: "#count" },
        auth,
      );
      expect(shot.status).toBe(201);
      expect(shot.body.consoleErrors).toEqual([]);
    });

    it("resets only with the token", async () => {
      const route = `/v1/environments/${env.id}/devtools/reset`;
      expect((await harness.request("POST", route)).status).toBe(401);
      const reset = await harness.request<{ wasRunning: boolean }>("POST", route, undefined, auth);
      expect(reset.status).toBe(200);
      expect(reset.body.wasRunning).toBe(true);
    });
  });
}
