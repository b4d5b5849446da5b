/**
 * A web page the user happens to visit cannot reach previewd (SPEC "Safe against web pages"),
 * here with no token set, the default on a developer's machine. Each attack of issue 11 is sent
 * as a page would send it (a rebinding page's Host, a cross-site form in a real Chromium, a
 * DevTools WebSocket with Host = Origin) and refused, while curl-like clients, the DevTools
 * clients agents use and a preview page's own OFREP calls keep working.
 */
import { spawnSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import CDP from "chrome-remote-interface";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { chromiumPath, requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, temporaryDataDir, type Harness } from "./helpers/previewd-harness.ts";
import { cli, exited, freePort, spawnServe } from "./helpers/serve-process.ts";

const manifest = `version: 1
name: pages
apps:
  web:
    path: apps/web
    start: node server.js
    health: /healthz
flags:
  banner: { type: string, default: hello }
`;
const webServer = `import http from "node:http";
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/html" });
  res.end(req.url === "/healthz" ? "ok" : "<h1>web</h1>");
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

let harness: Harness;
let env: EnvironmentView;
let port: number;
const evil = () => `evil.example:${port}`;

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with any Host header (fetch forbids setting Host), to 127.0.0.1:<previewd's port>. */
function send(
  method: string,
  route: string,
  headers: Record<string, string>,
  body?: string,
  to = port,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: to, method, path: route, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

type UpgradeResult = { refused: number; body: string } | { opened: true };

/**
 * What a page does over a DevTools WebSocket once it gets one: open a target on a local file
 * (then it would read it with Runtime.evaluate). Resolves as soon as previewd answers the upgrade.
 */
function attemptFileRead(url: string, options: WebSocket.ClientOptions): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ refused: res.statusCode ?? 0, body }));
    });
    socket.once("open", () => {
      socket.send(
        JSON.stringify({ id: 1, method: "Target.createTarget", params: { url: "file:///etc/hostname" } }),
      );
      socket.close();
      resolve({ opened: true });
    });
    socket.once("error", (error) => {
      if (!error.message.startsWith("Unexpected server response")) reject(error);
    });
  });
}

function worktrees(): string[] {
  const dir = path.join(harness.dataDir, "worktrees");
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe.skipIf(skipWithoutChromium)("web pages cannot reach previewd", () => {
  beforeAll(async () => {
    requireChromium();
    harness = await startHarness();
    port = Number(new URL(harness.url).port);
    const repo = createFixtureRepo({ files: { "preview.yaml": manifest, "apps/web/server.js": webServer } });
    env = (await harness.create({ repo: repo.dir })).body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
  });
  afterAll(async () => harness?.close());

  describe("DNS rebinding: a Host that is not previewd's", () => {
    it("cannot create an environment (that would run the attacker's install): 403 forbidden-host, nothing made", async () => {
      const before = worktrees();
      const reply = await send(
        "POST",
        "/v1/environments",
        { host: evil(), "content-type": "application/json" },
        JSON.stringify({ repo: "http://attacker.invalid/evil.git" }),
      );
      expect(reply.status).toBe(403);
      expect(reply.headers["content-type"]).toContain("application/problem+json");
      expect(JSON.parse(reply.body)).toMatchObject({ type: "forbidden-host", status: 403 });
      expect(harness.previewd.orchestrator.list().map((e) => e.id)).toEqual([env.id]);
      expect(worktrees()).toEqual(before);
    });

    it("reads nothing, on any path: API, bridge /json, metrics, health, OpenAPI, dashboard", async () => {
      const routes = [
        "/v1/environments",
        `/v1/environments/${env.id}`,
        `/v1/environments/${env.id}/devtools/json/version`,
        `/v1/environments/${env.id}/devtools/json/list`,
        "/json/protocol",
        "/metrics",
        "/healthz",
        "/openapi.json",
        "/",
        "/no/such/path",
      ];
      for (const route of routes) {
        const reply = await send("GET", route, { host: evil() });
        expect(reply.status, route).toBe(403);
        expect(JSON.parse(reply.body).type, route).toBe("forbidden-host");
        expect(reply.body, route).not.toContain("webSocketDebuggerUrl");
        expect(reply.body, route).not.toContain(env.id);
      }
      const opened = await send("PUT", `/v1/environments/${env.id}/devtools/json/new?file:///etc/hostname`, {
        host: evil(),
      });
      expect(opened.status).toBe(403);
    });

    it("previewd's own names still answer, and /json URLs carry the Host they were asked with", async () => {
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
        expect((await send("GET", "/v1/environments", { host })).status, host).toBe(200);
        const version = await send("GET", `/v1/environments/${env.id}/devtools/json/version`, { host });
        expect(version.status, host).toBe(200);
        expect(JSON.parse(version.body).webSocketDebuggerUrl).toMatch(new RegExp(`^ws://${host}/v1/`));
      }
    });
  });

  describe("the DevTools WebSocket", () => {
    const browserUrl = () => String(env.devtools?.webSocketDebuggerUrl);

    it("refuses a rebinding page (Host = Origin = the attacker's name) before any CDP message", async () => {
      const result = await attemptFileRead(browserUrl(), {
        headers: { host: evil() },
        origin: `http://${evil()}`,
      });
      expect(result).toMatchObject({ refused: 403 });
      expect(JSON.parse((result as { body: string }).body).type).toBe("forbidden-host");
    });

    it("refuses a page of another origin even with previewd's own Host (page and page target alike)", async () => {
      for (const origin of [
        `http://${evil()}`,
        "http://127.0.0.1:1234",
        `http://web--${env.id}.localhost:${port}`,
        "null",
      ]) {
        const result = await attemptFileRead(browserUrl(), { origin });
        expect(result, origin).toMatchObject({ refused: 403 });
        expect(JSON.parse((result as { body: string }).body).type, origin).toBe("forbidden-origin");
      }
      const page = await attemptFileRead(
        browserUrl().replace(/\/browser\/.*$/, "/page/0123456789ABCDEF0123456789ABCDEF"),
        { origin: `http://${evil()}` },
      );
      expect(page).toMatchObject({ refused: 403 });
    });

    it("still lets DevTools clients in: chrome-remote-interface (no Origin) and previewd's own origin", async () => {
      const client = await CDP({ target: browserUrl() });
      try {
        const version = await client.Browser.getVersion();
        expect(version.product).toMatch(/Chrome/);
      } finally {
        await client.close();
      }
      expect(await attemptFileRead(browserUrl(), { origin: `http://127.0.0.1:${port}` })).toEqual({
        opened: true,
      });
    });
  });

  describe("cross-site requests from a page in the user's browser", () => {
    let browser: Browser;
    let attacker: http.Server;
    let attackerUrl: string;

    beforeAll(async () => {
      // The attacker's site: pages whose forms post to previewd as soon as they load.
      const form = (action: string) =>
        `<form method=post action="${harness.url}${action}"><input name=x value=1></form><script>document.forms[0].submit()</script>`;
      attacker = http.createServer((req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        if (req.url === "/redeploy") return res.end(form(`/v1/environments/${env.id}/redeploy`));
        if (req.url === "/screenshot") return res.end(form(`/v1/environments/${env.id}/screenshots`));
        res.end("<h1>a page the user happens to visit</h1>");
      });
      await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
      attackerUrl = `http://127.0.0.1:${(attacker.address() as net.AddressInfo).port}`;
      browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    });
    afterAll(async () => {
      await browser?.close();
      attacker?.close();
    });

    it("a form POST to redeploy or screenshots is refused (403) and starts nothing", async () => {
      const before = harness.previewd.orchestrator.get(env.id);
      const page = await browser.newPage();
      for (const attack of ["/redeploy", "/screenshot"]) {
        const answer = page.waitForResponse((response) => response.url().startsWith(harness.url));
        await page.goto(`${attackerUrl}${attack}`);
        const response = await answer;
        expect(response.status(), attack).toBe(403);
        expect((await response.json()).type, attack).toBe("forbidden-origin");
      }
      await page.close();
      const after = harness.previewd.orchestrator.get(env.id);
      expect(after.status).toBe("ready");
      expect(after.updatedAt).toBe(before.updatedAt);
      const shots = await harness.request<unknown[]>("GET", `/v1/environments/${env.id}/screenshots`);
      expect(shots.body).toEqual([]);
    });

    it("so is a form from a sandboxed frame or a file (Origin: null)", async () => {
      const reply = await send(
        "POST",
        `/v1/environments/${env.id}/redeploy`,
        { host: `127.0.0.1:${port}`, origin: "null", "content-type": "application/x-www-form-urlencoded" },
        "x=1",
      );
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body).type).toBe("forbidden-origin");
      expect(harness.previewd.orchestrator.get(env.id).status).toBe("ready");
    });

    it("OFREP still answers the environment's own preview pages (CORS), and only them", async () => {
      const webOrigin = new URL(env.apps.web!.url).origin;
      const evaluate = (origin: string) =>
        send(
          "POST",
          `/v1/environments/${env.id}/ofrep/v1/evaluate/flags/banner`,
          { host: `127.0.0.1:${port}`, origin, "content-type": "application/json" },
          JSON.stringify({ context: {} }),
        );
      const own = await evaluate(webOrigin);
      expect(own.status).toBe(200);
      expect(own.headers["access-control-allow-origin"]).toBe(webOrigin);
      expect(JSON.parse(own.body)).toMatchObject({ key: "banner", value: "hello" });
      expect((await evaluate(attackerUrl)).status).toBe(403);
      // A preview page may read its flags, not drive the API.
      const redeploy = await send("POST", `/v1/environments/${env.id}/redeploy`, {
        host: `127.0.0.1:${port}`,
        origin: webOrigin,
      });
      expect(redeploy.status).toBe(403);
    });
  });

  describe("requests that would cost previewd", () => {
    it("a screenshot path that leaves the preview host is a 400 naming `path`", async () => {
      for (const target of ["//127.0.0.2:8099/x", "/\\127.0.0.2:8099/x"]) {
        const reply = await harness.request<{ errors: { path: string }[] }>(
          "POST",
          `/v1/environments/${env.id}/screenshots`,
          { path: target },
        );
        expect(reply.status, target).toBe(400);
        expect(reply.body.errors[0]!.path, target).toBe("path");
      }
    });

    it("JSON nested 100,000 deep is a 400, not a 500", async () => {
      const depth = 100_000;
      const reply = await harness.request<{ type: string }>(
        "POST",
        "/v1/environments",
        `{"repo":${"[".repeat(depth)}${"]".repeat(depth)}}`,
      );
      expect(reply.status).toBe(400);
      expect(reply.body.type).toBe("validation");
    });

    it("10,000 unknown flags make a small error: 20 of them and their count", async () => {
      const flags = Object.fromEntries(Array.from({ length: 10_000 }, (_, n) => [`unknown-${n}`, true]));
      const response = await fetch(`${harness.url}/v1/environments/${env.id}/flags`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(flags),
      });
      const text = await response.text();
      expect(response.status).toBe(404);
      expect(text.length).toBeLessThan(20_000);
      const problem = JSON.parse(text);
      expect(problem.errors).toHaveLength(20);
      expect(problem.errorCount).toBe(10_000);
      expect(problem.errors[0].path).toBe("unknown-0");
    });

    it("the disabled webhook answers 503 from the headers of a 25 MB delivery, without reading it", async () => {
      const socket = net.connect(port, "127.0.0.1");
      socket.write(
        `POST /v1/github/webhook HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${25 * 1024 * 1024}\r\n\r\n{"zen":`,
      );
      let answer = "";
      socket.setEncoding("utf8").on("data", (chunk) => (answer += chunk));
      await new Promise((resolve) => socket.once("close", resolve));
      expect(answer).toMatch(/^HTTP\/1\.1 503/);
      expect(answer).toContain("github-not-configured");
    });
  });
});

describe("names and origins of previewd's own, configured on `previewd serve`", () => {
  const env = {
    PREVIEWD_PUBLIC_URL: "https://previewd.example.com",
    PREVIEWD_ALLOWED_HOSTS: "box.lan,.corp.example",
    PREVIEWD_ALLOWED_ORIGINS: "https://tools.example.net",
  };

  it("answers PREVIEWD_PUBLIC_URL's host and PREVIEWD_ALLOWED_HOSTS, and origins of PREVIEWD_ALLOWED_ORIGINS", async () => {
    const dataDir = temporaryDataDir();
    const servePort = await freePort();
    const serve = await spawnServe(dataDir, servePort, env);
    try {
      const get = (headers: Record<string, string>) =>
        send("GET", "/v1/environments", headers, undefined, servePort);
      for (const host of [
        "previewd.example.com",
        "box.lan:8080",
        "ci.corp.example",
        `127.0.0.1:${servePort}`,
      ])
        expect((await get({ host })).status, host).toBe(200);
      for (const host of ["evil.example", "box.lan.evil.example", "previewd.example.com.evil.example"])
        expect((await get({ host })).status, host).toBe(403);
      const host = "previewd.example.com";
      for (const origin of ["https://previewd.example.com", "https://tools.example.net"])
        expect((await get({ host, origin })).status, origin).toBe(200);
      expect((await get({ host, origin: "https://evil.example" })).status).toBe(403);
    } finally {
      serve.kill("SIGTERM");
      await exited(serve);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start with a malformed entry, naming the variable", () => {
    const dataDir = temporaryDataDir();
    try {
      const run = spawnSync(process.execPath, [cli, "serve", "--port", "0", "--data-dir", dataDir], {
        env: { ...process.env, PREVIEWD_ALLOWED_HOSTS: "http://box.lan/" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr + run.stdout).toContain("PREVIEWD_ALLOWED_HOSTS");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
