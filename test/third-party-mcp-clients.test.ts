/**
 * An agent registers a third-party browser MCP server against the environment's
 * `devtools.browserUrl`: Google's `chrome-devtools-mcp --browserUrl` and Microsoft's
 * `@playwright/mcp --cdp-endpoint`, each the package's own bin, spoken to with the MCP SDK client
 * over stdio, telemetry and update checks off. Both drive the browser's first page rather than
 * open their own: a session navigates it, snapshots, clicks, and is killed; the next session, of
 * the same server or the other, finds one blank page (nothing of the last session's, as
 * `/json/list` shows too) and gets its snapshot and screenshot. With a token, each passes it as a
 * header: chrome-devtools-mcp only with `--wsEndpoint <devtools.webSocketDebuggerUrl>` and
 * `--wsHeaders` (its `--browserUrl` sends none, and the port wants the token like the rest of
 * previewd). Both previewds, with and without a token, start side by side.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createBrowserFixture } from "./helpers/browser-fixture.ts";
import { browserPids, pngSize } from "./helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { ownerIdOf } from "./helpers/processes.ts";

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), "../node_modules/.bin");
const token = "third-party-mcp-token";
// Each server is a Node program of its own that starts in a second or two on a quiet machine, far
// slower on a loaded one.
const timeoutMs = 180_000;

interface Previewd {
  harness: Harness;
  env: EnvironmentView;
  headers: Record<string, string>;
}
/** Two previewds side by side, one without a token and one with. */
let open: Previewd;
let guarded: Previewd;
let web: string;
let browserUrl: string;
let workDir: string;

async function startPreviewd(options: { token?: string }): Promise<Previewd> {
  const harness = await startHarness(options);
  const headers: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const created = await harness.request<EnvironmentView>(
    "POST",
    "/v1/environments?wait=true&timeout=120",
    { repo: createBrowserFixture().dir },
    headers,
  );
  expect(created.body.status).toBe("ready");
  return { harness, env: created.body, headers };
}

interface Session {
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** What a tool answered, as text; fails the test when it is an error. */
  text(name: string, args?: Record<string, unknown>): Promise<string>;
  /** The client is gone: its process is killed, as when an agent's session ends. */
  close(): Promise<void>;
}

async function start(command: string, args: string[]): Promise<Session> {
  const transport = new StdioClientTransport({
    command: path.join(bin, command),
    args,
    // Playwright MCP writes its snapshots and screenshots below its working directory.
    cwd: workDir,
    env: {
      ...getDefaultEnvironment(),
      CHROME_DEVTOOLS_MCP_NO_UPDATE_CHECKS: "1",
      CHROME_DEVTOOLS_MCP_NO_USAGE_STATISTICS: "1",
    },
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name: "previewd-tests", version: "1.0.0" });
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return {
    call,
    async text(name, args) {
      const result = await call(name, args);
      expect(result.isError, `${command} ${name}: ${textOf(result)}\n${stderr}`).toBeFalsy();
      return textOf(result);
    },
    close: () => client.close(),
  };
}

/** Chrome DevTools MCP; `connect`: `--browserUrl <url>`, or `--wsEndpoint <url>` and `--wsHeaders`. */
const chromeDevtoolsMcp = (...connect: string[]) =>
  start("chrome-devtools-mcp", [...connect, "--no-usage-statistics", "--no-performance-crux"]);

/** Playwright MCP on a browserUrl, sending these headers (`Name: value`). */
const playwrightMcp = (browserUrl: string, ...headers: string[]) =>
  start("playwright-mcp", [
    "--cdp-endpoint",
    browserUrl,
    ...headers.flatMap((header) => ["--cdp-header", header]),
    "--output-dir",
    path.join(workDir, "output"),
  ]);

function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : `<${part.type}>`)).join("\n");
}

function pngOf(result: CallToolResult): { width: number; height: number } {
  const image = result.content.find((part) => part.type === "image");
  expect(image?.mimeType).toBe("image/png");
  return pngSize(Buffer.from(image?.type === "image" ? image.data : "", "base64"));
}

/** The URLs of the pages a browser has open, as `/json/list` at its browserUrl shows them. */
async function listed(browserUrl: string, headers: Record<string, string> = {}): Promise<string[]> {
  const response = await fetch(`${browserUrl}/json/list`, { headers });
  expect(response.status).toBe(200);
  return ((await response.json()) as { url: string }[]).map((page) => page.url);
}

/** Once a session is gone, the browser shows what it showed before any: one blank page. */
async function expectBlankBrowser(browserUrl: string, headers: Record<string, string> = {}): Promise<void> {
  await expect.poll(() => listed(browserUrl, headers), { timeout: 15_000 }).toEqual(["about:blank"]);
}

describe.skipIf(skipWithoutChromium)("third-party MCP browser servers on devtools.browserUrl", () => {
  beforeAll(async () => {
    requireChromium();
    workDir = mkdtempSync(path.join(os.tmpdir(), "previewd-mcp-clients-"));
    [open, guarded] = await Promise.all([startPreviewd({}), startPreviewd({ token })]);
    web = open.env.apps.web!.url;
    browserUrl = open.env.devtools!.browserUrl;
  }, timeoutMs);
  afterAll(async () => {
    for (const previewd of [open, guarded]) {
      if (!previewd) continue;
      const owner = ownerIdOf(previewd.harness.dataDir);
      await previewd.harness.close();
      expect(browserPids(owner)).toEqual([]);
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, timeoutMs);

  it(
    "chrome-devtools-mcp: a session drives the browser's page and goes; the next finds it blank",
    async () => {
      const first = await chromeDevtoolsMcp("--browserUrl", browserUrl);
      try {
        expect(await first.text("list_pages")).toMatch(/^1: about:blank \[selected\]$/m);
        expect(await first.text("navigate_page", { pageId: 1, type: "url", url: `${web}/` })).toContain(
          `Successfully navigated to ${web}/`,
        );
        const snapshot = await first.text("take_snapshot", { pageId: 1 });
        const uid = /uid=(\S+) button "\+1"/.exec(snapshot)?.[1];
        expect(uid, snapshot).toBeDefined();
        await first.text("click", { pageId: 1, uid });
        expect(await first.text("take_snapshot", { pageId: 1 })).toMatch(/ "1"$/m);
        expect(await listed(browserUrl)).toEqual([`${web}/`]);
      } finally {
        await first.close();
      }
      await expectBlankBrowser(browserUrl);

      const second = await chromeDevtoolsMcp("--browserUrl", browserUrl);
      try {
        // One page, blank and selected: nothing of the first session to attach to.
        const pages = await second.text("list_pages");
        expect(pages.match(/^\d+: /gm)).toHaveLength(1);
        expect(pages).toMatch(/^1: about:blank \[selected\]$/m);
        const opened = await second.text("new_page", { url: `${web}/errors` });
        const pageId = Number(new RegExp(`^(\\d+): ${web}/errors \\[selected\\]$`, "m").exec(opened)?.[1]);
        expect(pageId, opened).toBeGreaterThan(1);
        expect(pngOf(await second.call("take_screenshot", { pageId })).width).toBeGreaterThan(0);
        expect(await second.text("list_console_messages", { pageId })).toContain("boom from the page");
      } finally {
        await second.close();
      }
      await expectBlankBrowser(browserUrl);
    },
    timeoutMs,
  );

  it(
    "@playwright/mcp: a session after another's, of either server, starts on one blank tab",
    async () => {
      for (const [session, pagePath] of [
        [1, "/?playwright"],
        [2, "/errors"],
      ] as const) {
        const client = await playwrightMcp(browserUrl);
        try {
          expect(await client.text("browser_tabs", { action: "list" })).toMatch(
            /^- 0: \(current\) \[\]\(about:blank\)$/m,
          );
          expect(await client.text("browser_navigate", { url: `${web}${pagePath}` })).toContain(
            `Page URL: ${web}${pagePath}`,
          );
          const snapshot = await client.text("browser_snapshot");
          if (session === 1) {
            const ref = /button "\+1" \[ref=(\w+)\]/.exec(snapshot)?.[1];
            expect(ref, snapshot).toBeDefined();
            await client.text("browser_click", { target: ref, element: "+1 button" });
            expect(await client.text("browser_snapshot")).toMatch(/text: "1"/);
          } else {
            expect(snapshot).toContain('heading "errors"');
            expect(pngOf(await client.call("browser_take_screenshot")).width).toBeGreaterThan(0);
          }
          expect(await listed(browserUrl)).toEqual([`${web}${pagePath}`]);
        } finally {
          await client.close();
        }
        await expectBlankBrowser(browserUrl);
      }
    },
    timeoutMs,
  );

  it(
    "with a token: Playwright MCP sends it with --cdp-header, chrome-devtools-mcp with --wsHeaders",
    async () => {
      const { devtools, apps } = guarded.env;
      const page = `${apps.web!.url}/`;
      const sessions: [string, () => Promise<Session>, (session: Session) => Promise<string>][] = [
        [
          "chrome-devtools-mcp",
          () =>
            chromeDevtoolsMcp(
              "--wsEndpoint",
              devtools!.webSocketDebuggerUrl!,
              "--wsHeaders",
              JSON.stringify({ Authorization: `Bearer ${token}` }),
            ),
          async (session) => {
            await session.text("navigate_page", { pageId: 1, type: "url", url: page });
            return session.text("take_snapshot", { pageId: 1 });
          },
        ],
        [
          "@playwright/mcp",
          () => playwrightMcp(devtools!.browserUrl, `Authorization: Bearer ${token}`),
          async (session) => {
            await session.text("browser_navigate", { url: page });
            return session.text("browser_snapshot");
          },
        ],
      ];
      for (const [name, connect, snapshot] of sessions) {
        const session = await connect();
        try {
          // The protected preview opens too: the bridge lets the browser in.
          expect(await snapshot(session), name).toMatch(/button "\+1"/);
        } finally {
          await session.close();
        }
        await expectBlankBrowser(devtools!.browserUrl, guarded.headers);
      }
    },
    timeoutMs,
  );
});
