/**
 * An agent drives its environment's own browser through the CDP bridge with the tools it already
 * has (Playwright, chrome-remote-interface, Puppeteer), at the app's public preview URL; takes
 * screenshots through the API; and reads what the browser reported in the environment's logs.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import CDP from "chrome-remote-interface";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createBrowserFixture } from "./helpers/browser-fixture.ts";
import { browserPids, pngSize } from "./helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { eventually, ownerIdOf } from "./helpers/processes.ts";

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let harness: Harness;
let env: EnvironmentView;
let webUrl: string;
let port: number;

describe.skipIf(skipWithoutChromium)("driving an environment's browser through the CDP bridge", () => {
  beforeAll(async () => {
    requireChromium();
    harness = await startHarness();
    port = Number(new URL(harness.url).port);
    env = (await harness.create({ repo: createBrowserFixture().dir })).body;
    expect(env.status).toBe("ready");
    webUrl = env.apps.web!.url;
  });
  afterAll(async () => {
    const owner = harness ? ownerIdOf(harness.dataDir) : "";
    await harness?.close();
    expect(browserPids(owner)).toEqual([]);
  });

  it("advertises the environment's devtools endpoints on the bridge", async () => {
    expect(env.devtools?.http).toBe(`${harness.url}/v1/environments/${env.id}/devtools`);
    expect(env.devtools?.webSocketDebuggerUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:${port}/v1/environments/${env.id}/devtools/browser/[0-9a-f-]{36}$`),
    );
    for (const route of ["/json/version", "/json/version/"]) {
      const version = await harness.request<Record<string, string>>(
        "GET",
        `/v1/environments/${env.id}/devtools${route}`,
      );
      expect(version.status).toBe(200);
      expect(version.body.Browser).toMatch(/Chrome/);
      expect(version.body.webSocketDebuggerUrl).toBe(env.devtools?.webSocketDebuggerUrl);
    }
    const protocol = await harness.request<{ domains: unknown[] }>("GET", "/json/protocol");
    expect(protocol.body.domains.length).toBeGreaterThan(10);
  });

  it("Playwright connectOverCDP drives the web app at its public URL", async () => {
    const browser = await chromium.connectOverCDP(env.devtools!.http);
    try {
      const page = await browser.contexts()[0]!.newPage();
      await page.goto(webUrl);
      await page.click("#inc");
      await page.click("#inc");
      expect(await page.textContent("#count")).toBe("2");
      expect(await page.textContent("#version")).toBe("main");
      expect(pngSize(await page.screenshot()).width).toBeGreaterThan(0);
      await page.close();
    } finally {
      await browser.close();
    }
  });

  it("chrome-remote-interface lists targets and drives a page through the bridge", async () => {
    const prefix = `/v1/environments/${env.id}/devtools`;
    // README's recipe: CRI applies alterPath to /json paths and again to the WebSocket URL's path,
    // which carries the prefix already, so the prefix goes only where it is missing.
    const options = {
      host: "127.0.0.1",
      port,
      alterPath: (path: string) => (path.startsWith(prefix) ? path : `${prefix}${path}`),
    };
    const target = await CDP.New({ ...options, url: "about:blank" });
    expect(target.webSocketDebuggerUrl).toBe(`ws://127.0.0.1:${port}${prefix}/page/${target.id}`);
    expect(target.devtoolsFrontendUrl).not.toMatch(/ws=127\.0\.0\.1:\d+\/devtools/);
    const listed = await CDP.List(options);
    const page = listed.find((t) => t.id === target.id);
    expect(page?.webSocketDebuggerUrl).toBe(target.webSocketDebuggerUrl);
    for (const t of listed) expect(t.webSocketDebuggerUrl ?? "").not.toMatch(/127\.0\.0\.1:(?!\d+\/v1)/);

    const client = await CDP({ ...options, target: target.id });
    try {
      await client.Page.enable();
      const loaded = client.Page.loadEventFired();
      await client.Page.navigate({ url: webUrl });
      await loaded;
      await client.Runtime.evaluate({ expression: `document.getElementById("inc").click()` });
      const { result } = await client.Runtime.evaluate({
        expression: `document.getElementById("count").textContent`,
      });
      expect(result.value).toBe("1");
      const { data } = await client.Page.captureScreenshot({ format: "png" });
      expect(pngSize(Buffer.from(data, "base64")).width).toBeGreaterThan(0);
      // The browser endpoint of the environment's view works as it is.
      const browserClient = await CDP({ target: browserEndpoint() });
      try {
        const { targetInfos } = await browserClient.Target.getTargets();
        expect(targetInfos.map((t) => t.targetId)).toContain(target.id);
      } finally {
        await browserClient.close();
      }
    } finally {
      await client.close();
    }
    // The page belonged to the connection that took it over; it went with that connection, and
    // closing it afterwards still succeeds.
    expect((await CDP.List(options)).map((t) => t.id)).not.toContain(target.id);
    await CDP.Close({ ...options, id: target.id });
  });

  it("puppeteer connect({browserWSEndpoint}) drives the web app", async () => {
    const browser = await puppeteer.connect({ browserWSEndpoint: browserEndpoint() });
    try {
      const page = await browser.newPage();
      await page.goto(webUrl);
      await page.click("#inc");
      expect(await page.$eval("#count", (el) => el.textContent)).toBe("1");
      expect(pngSize(Buffer.from(await page.screenshot())).width).toBe(800);
      await page.close();
    } finally {
      await browser.disconnect();
    }
  });

  it("takes a screenshot through the API, lists it and serves the PNG", async () => {
    const taken = await harness.request<Record<string, unknown>>(
      "POST",
      `/v1/environments/${env.id}/screenshots`,
      {
        width: 640,
        height: 480,
        waitFor: "#count",
      },
    );
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({ width: 640, height: 480, consoleErrors: [], pageUrl: `${webUrl}/` });
    const png = await fetch(String(taken.body.url));
    expect(png.headers.get("content-type")).toBe("image/png");
    expect(pngSize(Buffer.from(await png.arrayBuffer()))).toEqual({ width: 640, height: 480 });
    const listed = await harness.request<{ id: string }[]>("GET", `/v1/environments/${env.id}/screenshots`);
    expect(listed.body.map((s) => s.id)).toContain(taken.body.id);
    const stored = readdirSync(`${harness.dataDir}/environments/${env.id}/screenshots`);
    expect(stored).toContain(`${String(taken.body.id)}.png`);

    // Screenshots at the same time each get a window of their own.
    const together = await Promise.all(
      ["/", "/?again"].map((path) =>
        harness.request("POST", `/v1/environments/${env.id}/screenshots`, { path }),
      ),
    );
    expect(together.map((reply) => reply.status)).toEqual([201, 201]);

    const full = await harness.request<Record<string, unknown>>(
      "POST",
      `/v1/environments/${env.id}/screenshots`,
      {
        url: `${webUrl}/errors`,
        fullPage: true,
        waitFor: "networkidle",
      },
    );
    expect(full.status).toBe(201);
    expect(full.body.consoleErrors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("boom from the page"),
        expect.stringContaining("uncaught in the page"),
        expect.stringMatching(/missing\.png: HTTP 404/),
      ]),
    );
  });

  it("previewd screenshot writes the PNG of an app's page", async () => {
    const output = path.join(mkdtempSync(path.join(os.tmpdir(), "previewd-shot-")), "web.png");
    const cli = path.join(repoRoot, "provisioner/cli/previewd.js");
    const { stdout } = await execFileAsync(
      process.execPath,
      [cli, "screenshot", env.id, "--server", harness.url, "--path", "/", "--width", "800", "-o", output],
      { env: { ...process.env, PREVIEWD_TOKEN: "" } },
    );
    expect(stdout).toContain(output);
    expect(pngSize(readFileSync(output))).toEqual({ width: 800, height: 720 });
    rmSync(path.dirname(output), { recursive: true, force: true });
  });

  it("answers bad screenshot requests with 400 and a slow page with a timeout naming the URL", async () => {
    const route = `/v1/environments/${env.id}/screenshots`;
    const wide = await harness.request<{ errors: { path: string }[] }>("POST", route, { width: 5000 });
    expect(wide.status).toBe(400);
    expect(wide.body.errors[0]?.path).toBe("width");
    const foreign = await harness.request<{ errors: { path: string }[] }>("POST", route, {
      url: "http://example.com/",
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors[0]?.path).toBe("url");
    const app = await harness.request<{ errors: { path: string }[] }>("POST", route, { app: "nope" });
    expect(app.body.errors[0]?.path).toBe("app");
    const slow = await harness.request<{ status: number; detail: string }>("POST", route, {
      waitFor: "#never",
      timeout: 1,
    });
    expect(slow.status).toBe(504);
    expect(slow.headers.get("content-type")).toMatch(/problem\+json/);
    expect(slow.body.detail).toContain(`${webUrl}/`);
    expect(slow.body.detail).toMatch(/1000 ms/);
    const missing = await harness.request("GET", `${route}/nope.png`);
    expect(missing.status).toBe(404);
  });

  it("puts console messages, page errors and failed requests of any client's pages into the logs", async () => {
    const browser = await puppeteer.connect({ browserWSEndpoint: browserEndpoint() });
    try {
      const page = await browser.newPage();
      await page.goto(`${webUrl}/errors`);
      await page.close();
    } finally {
      await browser.disconnect();
    }
    await eventually(() => {
      const lines = harness.previewd.logs
        .query(env.id, { apps: ["browser"] })
        .filter((entry) => entry.line.includes(`[page ${webUrl}/errors]`));
      expect(lines.every((entry) => entry.stream === "browser")).toBe(true);
      const text = lines.map((entry) => entry.line).join("\n");
      expect(text).toContain("console.error: boom from the page");
      expect(text).toContain("uncaught Error: uncaught in the page");
      expect(text).toMatch(/request failed: GET \S+\/missing\.png: HTTP 404/);
    });
  });

  it("keeps previewd's open file descriptors flat over 200 connect/disconnect cycles", async () => {
    const endpoint = browserEndpoint();
    const cycle = async () => {
      const socket = new WebSocket(endpoint);
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => socket.send(JSON.stringify({ id: 1, method: "Browser.getVersion" })));
        socket.once("message", () => resolve());
        socket.once("error", reject);
      });
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.close();
      await closed;
    };
    await cycle(); // the browser is up and every lazy handle exists before counting
    const before = openFds();
    for (let i = 0; i < 200; i++) await cycle();
    await eventually(() => expect(openFds()).toBeLessThanOrEqual(before + 5));
  });

  it("starts a new browser on the next use after the browser crashed", async () => {
    await harness.request("GET", `/v1/environments/${env.id}/devtools/json/version`);
    const [main] = browserPids(ownerIdOf(harness.dataDir), env.id, { mainOnly: true });
    expect(main).toBeDefined();
    process.kill(main!, "SIGKILL");
    await eventually(async () => {
      const version = await harness.request("GET", `/v1/environments/${env.id}/devtools/json/version`);
      expect(version.status).toBe(200);
      const [next] = browserPids(ownerIdOf(harness.dataDir), env.id, { mainOnly: true });
      expect(next).toBeDefined();
      expect(next).not.toBe(main);
    });
    const browser = await puppeteer.connect({ browserWSEndpoint: browserEndpoint() });
    expect((await browser.pages()).length).toBeGreaterThan(0);
    await browser.disconnect();
  });
});

function browserEndpoint(): string {
  return env.devtools!.webSocketDebuggerUrl!;
}

function openFds(): number {
  return readdirSync("/proc/self/fd").length;
}
