/**
 * An agent points any CDP client at the environment's `devtools.browserUrl` (its own loopback
 * port, Chrome's endpoints at the root) with no path tricks: Puppeteer's `browserURL`,
 * chrome-remote-interface's `{host, port}`, Playwright's `connectOverCDP`. Each client starts
 * clean: what one opened is gone when it disconnects, `/json/list` shows pages only, screenshots
 * share nothing with clients' pages, and `POST …/devtools/reset` makes the browser new.
 */
import http from "node:http";
import net from "node:net";
import CDP from "chrome-remote-interface";
import { chromium } from "playwright-core";
import puppeteer from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { upgradeStatus } from "./helpers/upgrade-status.ts";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { browserPids } from "./helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { eventually, isPortOpen, ownerIdOf } from "./helpers/processes.ts";

const manifest = `version: 1
name: cdp-clients
apps:
  web:
    path: apps/web
    start: node server.js
    health: /healthz
`;

// "/" has a title to read; "/jar" reports the cookies and storage it sees as a console error
// (screenshots return console errors); "/opener" opens a popup on a click.
const server = `import http from "node:http";
const pages = {
  "/": "<title>browserUrl fixture</title><h1 id=hello>hello</h1>",
  "/jar": "<title>jar</title><script>console.error('jar cookies=[' + document.cookie + '] storage=[' + localStorage.getItem('who') + ']')</script>",
  "/opener": "<title>opener</title><button id=open onclick=\\"window.open('/?popup')\\">open</button>",
};
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); return res.end("ok"); }
  const page = pages[req.url.split("?")[0]];
  if (!page) { res.writeHead(404); return res.end("not found"); }
  res.writeHead(200, { "content-type": "text/html" });
  res.end(page);
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

interface Target {
  id: string;
  type: string;
  url: string;
  webSocketDebuggerUrl: string;
}

let harness: Harness;
let env: EnvironmentView;
let webUrl: string;
let browserUrl: string;
let browserPort: number;

describe.skipIf(skipWithoutChromium)("CDP clients on the environment's browserUrl", () => {
  beforeAll(async () => {
    requireChromium();
    harness = await startHarness();
    const repo = createFixtureRepo({ files: { "preview.yaml": manifest, "apps/web/server.js": server } });
    env = (await harness.create({ repo: repo.dir })).body;
    expect(env.status).toBe("ready");
    webUrl = env.apps.web!.url;
    browserUrl = env.devtools!.browserUrl;
    browserPort = Number(new URL(browserUrl).port);
  });
  afterAll(async () => {
    const owner = harness ? ownerIdOf(harness.dataDir) : "";
    await harness?.close();
    expect(browserPids(owner)).toEqual([]);
  });

  const json = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${browserUrl}${path}`, init);
    expect(response.status, `${path}: ${response.status}`).toBe(200);
    return (await response.json()) as T;
  };
  const listed = () => json<Target[]>("/json/list");

  it("advertises browserUrl, Chrome's endpoints at the root of its own loopback port", async () => {
    expect(browserUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(browserPort).not.toBe(Number(new URL(harness.url).port));
    const again = await harness.request<EnvironmentView>("GET", `/v1/environments/${env.id}`);
    expect(again.body.devtools?.browserUrl).toBe(browserUrl);
    const listedEnvs = await harness.request<EnvironmentView[]>("GET", "/v1/environments");
    expect(listedEnvs.body.find((e) => e.id === env.id)?.devtools?.browserUrl).toBe(browserUrl);

    const stableId = env.devtools!.webSocketDebuggerUrl!.split("/").at(-1);
    for (const path of ["/json/version", "/json/version/"]) {
      const version = await json<Record<string, string>>(path);
      expect(version.Browser).toMatch(/Chrome/);
      expect(version.webSocketDebuggerUrl).toBe(`ws://127.0.0.1:${browserPort}/devtools/browser/${stableId}`);
    }
    const protocol = await json<{ domains: unknown[] }>("/json/protocol");
    expect(protocol.domains.length).toBeGreaterThan(10);
    const created = await json<Target>(`/json/new?${webUrl}/`, { method: "PUT" });
    expect(created.webSocketDebuggerUrl).toBe(`ws://127.0.0.1:${browserPort}/devtools/page/${created.id}`);
    for (const path of ["/json", "/json/list"]) {
      const page = (await json<Target[]>(path)).find((t) => t.id === created.id);
      expect(page?.webSocketDebuggerUrl).toBe(created.webSocketDebuggerUrl);
    }
    expect((await fetch(`${browserUrl}/json/activate/${created.id}`)).status).toBe(200);
    expect((await fetch(`${browserUrl}/json/close/${created.id}`)).status).toBe(200);
    expect((await fetch(`${browserUrl}/nothing-here`)).status).toBe(404);
    // The path-prefixed bridge still answers, and names browserUrl too.
    const info = await harness.request<Record<string, string>>("GET", `/v1/environments/${env.id}/devtools`);
    expect(info.body).toMatchObject({ browserUrl, http: env.devtools!.http });
  });

  it("puppeteer connect({browserURL}) opens a page of the environment and reads its title", async () => {
    const browser = await puppeteer.connect({ browserURL: browserUrl });
    try {
      const page = await browser.newPage();
      await page.goto(webUrl);
      expect(await page.title()).toBe("browserUrl fixture");
    } finally {
      await browser.disconnect();
    }
  });

  it("chrome-remote-interface CDP({host, port}) drives a page, and List/New/Close/Version work at the root", async () => {
    const options = { host: "127.0.0.1", port: browserPort };
    expect((await CDP.Version(options)).Browser).toMatch(/Chrome/);
    const target = await CDP.New({ ...options, url: "about:blank" });
    expect((await CDP.List(options)).map((t) => t.id)).toContain(target.id);
    await CDP.Close({ ...options, id: target.id });

    const client = await CDP(options);
    try {
      await client.Page.enable();
      const loaded = client.Page.loadEventFired();
      await client.Page.navigate({ url: webUrl });
      await loaded;
      const { result } = await client.Runtime.evaluate({ expression: "document.title" });
      expect(result.value).toBe("browserUrl fixture");
      // Back to blank: CRI took the browser's first page, which is everybody's.
      await client.Page.navigate({ url: "about:blank" });
    } finally {
      await client.close();
    }
  });

  it("Playwright connectOverCDP(browserUrl) drives pages in the default context and its own", async () => {
    const browser = await chromium.connectOverCDP(browserUrl);
    try {
      const page = await browser.contexts()[0]!.newPage();
      await page.goto(webUrl);
      expect(await page.title()).toBe("browserUrl fixture");
      const context = await browser.newContext();
      const own = await context.newPage();
      await own.goto(webUrl);
      expect(await own.textContent("#hello")).toBe("hello");
    } finally {
      await browser.close();
    }
  });

  it("a client that opens pages and disconnects leaves none behind for the next", async () => {
    const before = (await listed()).map((t) => t.id);

    // Puppeteer: two pages and a popup one of them opened.
    const puppet = await puppeteer.connect({ browserURL: browserUrl });
    const first = await puppet.newPage();
    await first.goto(`${webUrl}/opener`);
    const popup = puppet.waitForTarget((t) => t.url().endsWith("/?popup"));
    await first.click("#open");
    await popup;
    await (await puppet.newPage()).goto(webUrl);
    expect((await listed()).length).toBe(before.length + 3);
    await puppet.disconnect();
    expect((await listed()).map((t) => t.id)).toEqual(before);

    // Playwright, with a page in the default context and a context of its own.
    const playwright = await chromium.connectOverCDP(browserUrl);
    await (await playwright.contexts()[0]!.newPage()).goto(webUrl);
    await (await (await playwright.newContext()).newPage()).goto(webUrl);
    expect((await listed()).length).toBe(before.length + 2);
    await playwright.close();
    expect((await listed()).map((t) => t.id)).toEqual(before);

    // A client that dies without a word: its socket just ends.
    const stableId = env.devtools!.webSocketDebuggerUrl!.split("/").at(-1);
    const raw = await rawClient(`ws://127.0.0.1:${browserPort}/devtools/browser/${stableId}`);
    await raw.send("Target.createTarget", { url: `${webUrl}/?raw` });
    const { browserContextId } = await raw.send("Target.createBrowserContext");
    await raw.send("Target.createTarget", { url: `${webUrl}/?raw-context`, browserContextId });
    expect((await listed()).length).toBe(before.length + 2);
    raw.socket.terminate();
    await eventually(async () => expect((await listed()).map((t) => t.id)).toEqual(before));

    // A page PUT /json/new opened belongs to the first connection to its own WebSocket.
    const created = await json<Target>(`/json/new?${webUrl}/`, { method: "PUT" });
    const client = await CDP({ target: created.webSocketDebuggerUrl });
    await client.Runtime.evaluate({ expression: "1" });
    await client.close();
    expect((await listed()).map((t) => t.id)).toEqual(before);
    // Closing it afterwards, as the client would, still succeeds.
    expect((await fetch(`${browserUrl}/json/close/${created.id}`)).status).toBe(200);

    // Puppeteer's browser.close() on a connected browser closes the client's pages, not the browser.
    const closing = await puppeteer.connect({ browserURL: browserUrl });
    await (await closing.newPage()).goto(webUrl);
    await closing.close();
    expect((await listed()).map((t) => t.id)).toEqual(before);
  });

  it("lists pages only: never the browser's UI, nor a screenshot's window while it is taken", async () => {
    const targets = await listed();
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      expect(target.type).toBe("page");
      expect(target.url).not.toMatch(/^chrome:\/\/omnibox-popup/);
    }
    // A screenshot that waits (for a selector that never comes), long enough to look at the list.
    const shot = harness.request("POST", `/v1/environments/${env.id}/screenshots`, {
      path: "/?shot",
      waitFor: "#never",
      timeout: 10,
    });
    const observer = await CDP({ target: env.devtools!.webSocketDebuggerUrl! });
    try {
      const screenshotTarget = await eventually(async () => {
        const { targetInfos } = await observer.Target.getTargets();
        const found = targetInfos.find((t) => t.url.endsWith("/?shot"));
        expect(found).toBeDefined();
        return found!;
      });
      expect((await listed()).map((t) => t.id)).not.toContain(screenshotTarget.targetId);
      const prefixed = await harness.request<Target[]>(
        "GET",
        `/v1/environments/${env.id}/devtools/json/list`,
      );
      expect(prefixed.body.map((t) => t.id)).not.toContain(screenshotTarget.targetId);
      // Its own browser context, not the default one clients' pages live in.
      const { targetInfos } = await observer.Target.getTargets();
      const defaultContexts = new Set(
        targetInfos
          .filter((t) => targets.some((page) => page.id === t.targetId))
          .map((t) => t.browserContextId),
      );
      expect(defaultContexts.has(screenshotTarget.browserContextId)).toBe(false);
    } finally {
      await observer.close();
    }
    expect((await shot).status).toBe(504);
  });

  it("takes screenshots in a browser context of their own: a client's cookies and storage stay out", async () => {
    const browser = await puppeteer.connect({ browserURL: browserUrl });
    try {
      const page = await browser.newPage();
      await page.goto(`${webUrl}/jar`);
      await page.evaluate(
        `document.cookie = "who=client; max-age=3600"; localStorage.setItem("who", "client")`,
      );
      await page.reload();
      const shot = await harness.request<{ consoleErrors: string[] }>(
        "POST",
        `/v1/environments/${env.id}/screenshots`,
        { path: "/jar" },
      );
      expect(shot.status).toBe(201);
      expect(shot.body.consoleErrors).toEqual([expect.stringContaining("jar cookies=[] storage=[null]")]);
      // The client's page still has them.
      expect(await page.evaluate("document.cookie")).toBe("who=client");
    } finally {
      await browser.disconnect();
    }
  });

  it("POST …/devtools/reset closes every page and clears cookies and storage", async () => {
    const browser = await puppeteer.connect({ browserURL: browserUrl });
    const page = await browser.newPage();
    await page.goto(`${webUrl}/jar`);
    await page.evaluate(
      `document.cookie = "who=before; max-age=3600"; localStorage.setItem("who", "before")`,
    );
    // Opened over HTTP and never connected to: no client closes it, the reset does.
    const left = await json<Target>(`/json/new?${webUrl}/?left`, { method: "PUT" });
    const disconnected = new Promise((resolve) => browser.once("disconnected", resolve));

    const reset = await harness.request<{
      closedPages: { id: string; url: string }[];
      disconnectedClients: number;
      wasRunning: boolean;
    }>("POST", `/v1/environments/${env.id}/devtools/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body.wasRunning).toBe(true);
    expect(reset.body.disconnectedClients).toBeGreaterThanOrEqual(1);
    expect(reset.body.closedPages.map((p) => p.url)).toEqual(
      expect.arrayContaining([`${webUrl}/jar`, `${webUrl}/?left`]),
    );
    await disconnected;

    // The same URL, a new browser: nothing of before.
    const next = await puppeteer.connect({ browserURL: browserUrl });
    try {
      expect((await listed()).map((t) => t.id)).not.toContain(left.id);
      const fresh = await next.newPage();
      await fresh.goto(`${webUrl}/jar`);
      expect(await fresh.evaluate(`[document.cookie, localStorage.getItem("who")]`)).toEqual(["", null]);
    } finally {
      await next.disconnect();
    }
  });

  it("logs a failed navigation with the URL that failed", async () => {
    const closedPort = await freePort();
    const browser = await puppeteer.connect({ browserURL: browserUrl });
    try {
      const page = await browser.newPage();
      await expect(page.goto(`http://127.0.0.1:${closedPort}/nowhere`)).rejects.toThrow(/ERR_/);
    } finally {
      await browser.disconnect();
    }
    // Opened straight at the URL: it fails before anyone watches its requests.
    await json<Target>(`/json/new?http://127.0.0.1:${closedPort}/direct`, { method: "PUT" });
    await eventually(() => {
      const lines = harness.previewd.logs
        .query(env.id, { apps: ["browser"] })
        .map((entry) => entry.line)
        .join("\n");
      expect(lines).toMatch(
        new RegExp(`navigation failed: http://127\\.0\\.0\\.1:${closedPort}/nowhere: net::ERR_`),
      );
      expect(lines).toMatch(
        new RegExp(`navigation failed: http://127\\.0\\.0\\.1:${closedPort}/direct: net::ERR_`),
      );
    });
  });

  it("refuses a foreign Host and a web page's Origin, on HTTP and WebSocket alike", async () => {
    expect(await httpStatus(browserPort, "/json/version", { host: "evil.example:80" })).toBe(403);
    expect(await httpStatus(browserPort, "/json/version", { host: `localhost:${browserPort}` })).toBe(200);
    expect(await httpStatus(browserPort, "/json/list", { origin: "http://evil.example" })).toBe(403);
    const endpoint = (await json<Record<string, string>>("/json/version")).webSocketDebuggerUrl!;
    expect(await upgradeStatus(endpoint, { host: "evil.example:80" })).toBe(403);
    expect(await upgradeStatus(endpoint, { origin: "http://evil.example" })).toBe(403);
    expect(await upgradeStatus(endpoint)).toBe(101);
  });

  it("keeps browserUrl across a restart of previewd, and frees its port when the environment is deleted", async () => {
    await harness.close({ keepData: true });
    expect(await isPortOpen(browserPort)).toBe(false);
    harness = await startHarness({ dataDir: harness.dataDir });
    const after = await harness.request<EnvironmentView>("GET", `/v1/environments/${env.id}`);
    expect(after.body.devtools?.browserUrl).toBe(browserUrl);
    const browser = await puppeteer.connect({ browserURL: browserUrl });
    const page = await browser.newPage();
    // previewd's own port is new (port 0), and so are the preview URLs.
    await page.goto(after.body.apps.web!.url);
    expect(await page.title()).toBe("browserUrl fixture");
    await browser.disconnect();

    const deleted = await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
    expect(deleted.status).toBe(204);
    await eventually(async () => expect(await isPortOpen(browserPort)).toBe(false));
  });
});

/** A bare DevTools client: one WebSocket, commands by id. */
async function rawClient(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
  let nextId = 1;
  const waiting = new Map<number, (result: Record<string, string>) => void>();
  socket.on("message", (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: Record<string, string> };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result ?? {});
  });
  return {
    socket,
    send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, string>> {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => waiting.set(id, resolve));
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function httpStatus(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}
