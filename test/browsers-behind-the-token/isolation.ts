/**
 * Each environment's browser is its own: a bridge lists and reaches only its environment's
 * targets, and cookies and storage are not shared. With PREVIEWD_TOKEN set, the bridge wants the
 * token (Bearer or ?token=) on HTTP and WebSocket alike.
 */
import { chromium } from "playwright-core";
import puppeteer, { type Browser } from "puppeteer-core";
import { beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import { createBrowserFixture } from "../helpers/browser-fixture.ts";
import { browserPids } from "../helpers/browser-processes.ts";
import type { Harness } from "../helpers/previewd-harness.ts";
import { eventually, ownerIdOf } from "../helpers/processes.ts";
import { auth, token, type TokenPreviewd } from "./token-previewd.ts";

export function describeIsolation(previewd: () => TokenPreviewd): void {
  let harness: Harness;
  let a: EnvironmentView;
  let b: EnvironmentView;

  describe("browsers per environment, behind the token", () => {
    beforeAll(() => ({ harness, a, b } = previewd()));

    const devtools = (env: EnvironmentView, route: string, headers: Record<string, string> = auth) =>
      harness.request<Record<string, string> & { webSocketDebuggerUrl: string }>(
        "GET",
        `/v1/environments/${env.id}/devtools${route}`,
        undefined,
        headers,
      );

    it("wants the token on the bridge's HTTP endpoints, as Bearer or ?token=", async () => {
      expect((await devtools(a, "/json/version", {})).status).toBe(401);
      expect((await devtools(a, "/json/version", { authorization: "Bearer wrong" })).status).toBe(401);
      expect((await devtools(a, "/json/version")).status).toBe(200);
      const byQuery = await devtools(a, `/json/version?token=${token}`, {});
      expect(byQuery.status).toBe(200);
      // A client that authenticated by query connects its WebSocket the same way.
      expect(byQuery.body.webSocketDebuggerUrl).toBe(`${a.devtools!.webSocketDebuggerUrl}?token=${token}`);
      // ?token= is for the bridge only.
      expect((await harness.request("GET", `/v1/environments?token=${token}`)).status).toBe(401);
      // The protocol description is public: chrome-remote-interface fetches it without credentials.
      expect((await harness.request("GET", "/json/protocol")).status).toBe(200);
    });

    it("wants the token on WebSocket upgrades, as Bearer or ?token=", async () => {
      const endpoint = a.devtools!.webSocketDebuggerUrl!;
      expect(await upgradeStatus(endpoint)).toBe(401);
      expect(await upgradeStatus(`${endpoint}?token=wrong`)).toBe(401);
      expect(await upgradeStatus(`${endpoint}?token=${token}`)).toBe(101);
      expect(await upgradeStatus(endpoint, auth)).toBe(101);
      const browser = await chromium.connectOverCDP(`${a.devtools!.http}?token=${token}`);
      expect(browser.contexts().length).toBeGreaterThan(0);
      await browser.close();
    });

    it("lists and reaches only the environment's own targets", async () => {
      const route = (env: EnvironmentView, path: string) => `/v1/environments/${env.id}/devtools${path}`;
      const created = await harness.request<{ id: string }>(
        "PUT",
        route(a, "/json/new?about:blank"),
        undefined,
        auth,
      );
      expect(created.status).toBe(200);
      const listA = await harness.request<{ id: string }[]>("GET", route(a, "/json/list"), undefined, auth);
      const listB = await harness.request<{ id: string }[]>("GET", route(b, "/json/list"), undefined, auth);
      expect(listA.body.map((t) => t.id)).toContain(created.body.id);
      expect(listB.body.map((t) => t.id)).not.toContain(created.body.id);
      const { port } = new URL(harness.url);
      const viaB = `ws://127.0.0.1:${port}${route(b, `/page/${created.body.id}`)}?token=${token}`;
      expect(await upgradeStatus(viaB)).toBe(404);
      const closed = await harness.request(
        "GET",
        route(a, `/json/close/${created.body.id}`),
        undefined,
        auth,
      );
      expect(closed.status).toBe(200);
    });

    it("does not share cookies or storage between environments", async () => {
      // The same origin in both browsers: previewd's own /healthz.
      const origin = `${harness.url}/healthz`;
      const browserA = await connect(a);
      const pageA = await browserA.newPage();
      await pageA.goto(origin);
      await pageA.evaluate(`localStorage.setItem("who", "a"); document.cookie = "who=a; max-age=3600"`);
      expect(await pageA.evaluate(readStorage)).toEqual(["a", "who=a"]);
      await pageA.close();
      await browserA.disconnect();

      const browserB = await connect(b);
      const pageB = await browserB.newPage();
      await pageB.goto(origin);
      expect(await pageB.evaluate(readStorage)).toEqual([null, ""]);
      await pageB.close();
      await browserB.disconnect();
    });

    it("answers 429 with Retry-After when every browser is in use", async () => {
      const [browserA, browserB] = await Promise.all([connect(a), connect(b)]);
      try {
        const c = (
          await harness.request<EnvironmentView>(
            "POST",
            "/v1/environments?wait=true&timeout=120",
            { repo: createBrowserFixture().dir },
            auth,
          )
        ).body;
        const refused = await devtools(c, "/json/version");
        expect(refused.status).toBe(429);
        expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(refused.body.detail).toMatch(/PREVIEWD_MAX_BROWSERS/);
        expect(await upgradeStatus(c.devtools!.webSocketDebuggerUrl!, auth)).toBe(429);
        await harness.request("DELETE", `/v1/environments/${c.id}?wait=true`, undefined, auth);
      } finally {
        await Promise.all([browserA.disconnect(), browserB.disconnect()]);
      }
    });

    it("stops an environment's browser when the environment is deleted", async () => {
      const owner = ownerIdOf(harness.dataDir);
      expect(browserPids(owner, b.id).length).toBeGreaterThan(0);
      const deleted = await harness.request("DELETE", `/v1/environments/${b.id}?wait=true`, undefined, auth);
      expect(deleted.status).toBe(204);
      await eventually(() => expect(browserPids(owner, b.id)).toEqual([]));
      expect(browserPids(owner, a.id).length).toBeGreaterThan(0);
    });
  });
}

const readStorage = `[localStorage.getItem("who"), document.cookie]`;

function connect(env: EnvironmentView): Promise<Browser> {
  return puppeteer.connect({ browserWSEndpoint: env.devtools!.webSocketDebuggerUrl!, headers: auth });
}

/** 101 when the upgrade succeeds, else the HTTP status the bridge answered. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => {
      socket.close();
      resolve(101);
    });
    socket.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("error", (error) => reject(error));
  });
}
