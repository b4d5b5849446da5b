/**
 * An environment with its own browser (kubernetes: the namespace's Chromium, port-forwarded): the
 * bridge attaches to it instead of launching one. A real Chromium started here stands in for the
 * namespace's; the bridge's own CHROMIUM_PATH points nowhere, so it cannot launch one.
 */
import { mkdtempSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { problemHandler } from "../provisioner/api/problem.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { chromiumPath, requireChromium, skipWithoutChromium } from "../test/helpers/chromium.ts";
import { browserLabels } from "./browser/browser-labels.ts";
import { launchChromium, type RunningChromium } from "./browser/launch-chromium.ts";
import { CdpConnection } from "./cdp/cdp-connection.ts";
import { chromiumJson } from "./cdp/chromium-http.ts";
import { createDevtoolsBridge, type DevtoolsBridge } from "./create-devtools-bridge.ts";

const env = "k8s-remote";
const pending = "k8s-pending";
const idleMs = 400;
let dir: string;
let standIn: RunningChromium;
let bridge: DevtoolsBridge;
let server: http.Server;
let site: http.Server;
let base: string;
let siteUrl: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const listen = (s: http.Server) =>
  new Promise<number>((resolve) =>
    s.listen(0, "127.0.0.1", () => resolve((s.address() as AddressInfo).port)),
  );
const close = (s: http.Server | undefined) =>
  new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));

/** What the stand-in itself shows (not through the bridge). */
async function standInPages(): Promise<{ id: string; url: string; type: string }[]> {
  const targets = await chromiumJson<{ id: string; url: string; type: string }[]>(
    standIn.port,
    "GET",
    "/json/list",
  );
  return targets.filter((t) => t.type === "page");
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting until ${what}`);
}

describe.skipIf(skipWithoutChromium)("the bridge on an environment's own browser (real Chromium)", () => {
  beforeAll(async () => {
    requireChromium();
    dir = mkdtempSync(path.join(os.tmpdir(), "previewd-remote-browser-"));
    site = http.createServer((_req, res) => res.end("<title>remote</title><h1>from the namespace</h1>"));
    siteUrl = `http://127.0.0.1:${await listen(site)}`;
    standIn = await launchChromium({
      executable: chromiumPath,
      parentDir: dir,
      baseDomain: "localhost",
      // Not the bridge's owner: the bridge's start kills its own leftovers only.
      labels: browserLabels(`namespace-stand-in-${process.pid}`, env),
    });
    bridge = await createDevtoolsBridge({
      owner: `remote-browser-test-${process.pid}`,
      dataDir: path.join(dir, "previewd"),
      baseDomain: "localhost",
      environments: {
        previewUrls: (id) => ([env, pending].includes(id) ? { web: siteUrl } : undefined),
        dataDir: (id) => path.join(dir, "data", id),
        remoteBrowser: (id) =>
          id === env ? { httpUrl: `http://127.0.0.1:${standIn.port}` } : id === pending ? {} : undefined,
      },
      logs: { append: () => undefined },
      logger: silentLogger,
      config: {
        chromiumPath: path.join(dir, "no-chromium-here"),
        idleMs,
        maxBrowsers: 1,
        navigationTimeoutMs: 20_000,
      },
    });
    const app = express();
    app.use(express.json());
    app.use("/v1", bridge.v1Routes);
    app.use(problemHandler(silentLogger));
    server = http.createServer(app);
    server.on("upgrade", (req, socket, head) => {
      if (!bridge.handleUpgrade(req, socket, head)) socket.destroy();
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });

  afterAll(async () => {
    await bridge?.close();
    await close(server);
    await close(site);
    await standIn?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("answers /json/version with its own WebSocket URLs, attached to the stand-in without launching a browser", async () => {
    const reply = await fetch(`${base}/v1/environments/${env}/devtools/json/version`);
    expect(reply.status).toBe(200);
    const version = (await reply.json()) as { webSocketDebuggerUrl: string; Browser: string };
    expect(version.webSocketDebuggerUrl).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:${new URL(base).port}/v1/environments/${env}/devtools/browser/`),
    );
    expect(version.Browser).toMatch(/Chrome/);
    const running = bridge.pool.running(env);
    expect(running?.remote).toBe(true);
    expect(running?.port).toBe(standIn.port);
    // Its own browser takes none of PREVIEWD_MAX_BROWSERS (1 here), and no local Chromium ran:
    // CHROMIUM_PATH points at nothing, so a launch would have been a 503.
    expect(bridge.pool.runningBrowsers()).toHaveLength(1);
  });

  it("drives a page through the bridge, closes it when the client leaves, and screenshots", async () => {
    const version = (await (await fetch(`${base}/v1/environments/${env}/devtools/json/version`)).json()) as {
      webSocketDebuggerUrl: string;
    };
    const client = await CdpConnection.open(version.webSocketDebuggerUrl);
    const { targetId } = await client.send<{ targetId: string }>("Target.createTarget", {
      url: "about:blank",
    });
    const { sessionId } = await client.send<{ sessionId: string }>("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    await client.send("Page.enable", {}, sessionId);
    const loaded = new Promise<void>((resolve) => client.on("Page.loadEventFired", () => resolve()));
    await client.send("Page.navigate", { url: siteUrl }, sessionId);
    await loaded;
    const title = await client.send<{ result: { value: string } }>(
      "Runtime.evaluate",
      { expression: "document.title", returnByValue: true },
      sessionId,
    );
    expect(title.result.value).toBe("remote");
    const shot = await client.send<{ data: string }>("Page.captureScreenshot", { format: "png" }, sessionId);
    expect(Buffer.from(shot.data, "base64").subarray(1, 4).toString()).toBe("PNG");
    expect((await standInPages()).map((p) => p.id)).toContain(targetId);

    client.close();
    await until(
      async () => !(await standInPages()).some((p) => p.id === targetId),
      "the client's page closed",
    );

    const screenshot = await fetch(`${base}/v1/environments/${env}/screenshots`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ app: "web" }),
    });
    expect(screenshot.status).toBe(201);
    const png = await fetch(screenshot.headers.get("location")!);
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");
  });

  it("idle stop and environment delete only disconnect: the stand-in keeps running", async () => {
    await until(() => bridge.pool.running(env) === undefined, "the idle browser was let go");
    expect(await chromiumJson(standIn.port, "GET", "/json/version")).toHaveProperty("webSocketDebuggerUrl");
    // The next use attaches again.
    expect((await fetch(`${base}/v1/environments/${env}/devtools/json/list`)).status).toBe(200);
    expect(bridge.pool.running(env)?.remote).toBe(true);
    await bridge.forget(env);
    expect(bridge.pool.running(env)).toBeUndefined();
    await sleep(200);
    expect(await chromiumJson(standIn.port, "GET", "/json/version")).toHaveProperty("webSocketDebuggerUrl");
    expect(await Promise.race([standIn.exited.then(() => "exited"), sleep(50).then(() => "running")])).toBe(
      "running",
    );
  });

  it("is a 503 naming the environment while its browser is not reachable", async () => {
    const reply = await fetch(`${base}/v1/environments/${pending}/devtools/json/version`);
    expect(reply.status).toBe(503);
    const problem = (await reply.json()) as { detail?: string; title?: string };
    expect(JSON.stringify(problem)).toContain(`the browser of environment ${pending} is not reachable`);
    expect(bridge.pool.running(pending)).toBeUndefined();
  });
});
