/**
 * An agent drives an environment's browser through previewd's own MCP server, spoken to with the
 * MCP SDK's client: over stdio (the real CLI spawned) and over streamable HTTP at `/mcp`, on a
 * previewd without a token and on one with a token (which /mcp wants, and refuses without).
 * Each client opens examples/shop's storefront, reads its accessibility snapshot, clicks a
 * product by its ref, and reads the console; its pages are gone once the session ends.
 * The shop is provisioned once: the previewd with a token is the same one restarted with a token
 * set on the same data dir, which adopts the running environment (as after any restart).
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { browserPids, pngSize } from "./helpers/browser-processes.ts";
import { requireChromium, skipWithoutChromium } from "./helpers/chromium.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { ownerIdOf } from "./helpers/processes.ts";
import { createShopRepo } from "./helpers/shop-repo.ts";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "../provisioner/cli/previewd.js");
const token = "mcp-test-token";
const auth = { authorization: `Bearer ${token}` };
// A cold install and the shop's builds on a loaded machine: the provisioning wait fills the hook.
const setupTimeoutMs = 600_000;

interface Server {
  harness: Harness;
  shop: EnvironmentView;
  headers: Record<string, string>;
}
let open: Server;
let guarded: Server;
/** The previewd running now, if any; both share one data dir, so their browsers one owner. */
let live: Harness | undefined;
let dataDir: string | undefined;

async function startShop(harness: Harness, repo: string): Promise<Server> {
  const created = await harness.create({ repo, ref: "main" }, setupTimeoutMs / 1000 - 60);
  expect(created.body.status, JSON.stringify(created.body.error)).toBe("ready");
  return { harness, shop: created.body, headers: {} };
}

/** Stops `server`'s previewd, keeping its data, and starts it again with a token set. */
async function restartWithToken(server: Server): Promise<Server> {
  live = undefined;
  await server.harness.close({ keepData: true });
  const harness = (live = await startHarness({ token, dataDir: server.harness.dataDir }));
  const reply = await harness.request<EnvironmentView>(
    "GET",
    `/v1/environments/${server.shop.id}`,
    undefined,
    auth,
  );
  expect(reply.body.status, JSON.stringify(reply.body)).toBe("ready");
  return { harness, shop: reply.body, headers: auth };
}

type Connect = (server: Server) => Promise<{ client: Client; end(): Promise<void> }>;

const overStdio: Connect = async ({ harness }) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, "mcp", "--server", harness.url],
    env: { ...getDefaultEnvironment(), ...(harness === guarded?.harness && { PREVIEWD_TOKEN: token }) },
    stderr: "pipe",
  });
  const client = new Client({ name: "previewd-tests", version: "1.0.0" });
  await client.connect(transport);
  return { client, end: () => client.close() };
};

const overHttp: Connect = async ({ harness, headers }) => {
  const transport = new StreamableHTTPClientTransport(new URL(`${harness.url}/mcp`), {
    requestInit: { headers },
  });
  const client = new Client({ name: "previewd-tests", version: "1.0.0" });
  await client.connect(transport);
  // Ending an HTTP session is a DELETE; closing the client alone would leave it to the idle timeout.
  return { client, end: async () => (await transport.terminateSession(), await client.close()) };
};

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

/** The ref and name of the first link to a product in an accessibility snapshot. */
function productLink(snapshot: string): { ref: string; name: string } {
  const lines = snapshot.split("\n");
  const at = lines.findIndex((line) => /- \/url: \/products\/\d+/.test(line));
  const link = /link "([^"]+)" \[ref=([a-z0-9]+)\]/.exec(lines[at - 1] ?? "");
  if (!link) throw new Error(`no product link in the snapshot:\n${snapshot}`);
  return { name: link[1]!, ref: link[2]! };
}

/** The pages the environment's browser has open, as `/json/list` shows them. */
async function openPages({ harness, shop, headers }: Server): Promise<string[]> {
  const reply = await harness.request<{ url: string }[]>(
    "GET",
    `/v1/environments/${shop.id}/devtools/json/list`,
    undefined,
    headers,
  );
  return reply.body.map((page) => page.url);
}

describe.skipIf(skipWithoutChromium)("driving an environment's browser over MCP", () => {
  let repo: string | undefined;
  beforeAll(async () => {
    requireChromium();
    repo = createShopRepo();
    const harness = (live = await startHarness());
    dataDir = harness.dataDir;
    open = await startShop(harness, repo);
  }, setupTimeoutMs);
  afterAll(async () => {
    if (repo) await rm(repo, { recursive: true, force: true });
    if (!dataDir) return;
    // A restart that failed half-way left the environment running: a previewd on its data removes it.
    await (live ?? (await startHarness({ dataDir }))).close();
    expect(browserPids(ownerIdOf(dataDir))).toEqual([]);
  });

  /** One client's whole session: what every transport, with and without a token, must do. */
  const drive = async (transport: string, connect: Connect, server: () => Server) => {
    const { harness, shop, headers } = server();
    const { client, end } = await connect(server());
    const id = shop.id;
    const web = shop.apps.web!.url;

    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    for (const tool of ["browser_navigate", "browser_snapshot", "browser_click", "browser_console_messages"])
      expect(names).toContain(tool);
    expect(names).toContain("get_environment");

    const environment = await call(client, "get_environment", { id });
    expect(text(environment)).toContain(`"flagsUrl": "${harness.url}/v1/environments/${id}"`);

    const navigated = await call(client, "browser_navigate", { id, app: "web", path: "/" });
    expect(navigated.isError, text(navigated)).toBeFalsy();
    expect(text(navigated)).toContain(`Navigated to ${web}/ (HTTP 200)`);

    const snapshot = await call(client, "browser_snapshot", { id });
    expect(text(snapshot)).toMatch(/\[ref=[a-z0-9]+\]/);
    const product = productLink(text(snapshot));

    const clicked = await call(client, "browser_click", { id, ref: product.ref });
    expect(clicked.isError, text(clicked)).toBeFalsy();
    expect(text(clicked)).toContain(`Clicked ref ${product.ref}`);
    expect(text(clicked)).toMatch(new RegExp(`Page: ${web}/products/\\d+`));
    expect(text(clicked)).toContain(`heading "${product.name}"`);

    const marker = `checked over ${transport}`;
    await call(client, "browser_evaluate", { id, expression: `console.log(${JSON.stringify(marker)})` });
    const consoleMessages = await call(client, "browser_console_messages", { id });
    expect(text(consoleMessages)).toContain(`[log] ${marker}`);
    const errors = await call(client, "browser_console_messages", { id, level: "error" });
    expect(text(errors)).not.toContain(marker);

    // `app` as a string, as agents write it.
    const logs = () => call(client, "get_logs", { id, app: "browser", grep: marker });
    expect((await logs()).isError, text(await logs())).toBeFalsy();
    await expect.poll(async () => text(await logs())).toContain(`console.log: ${marker}`);

    const shot = await call(client, "browser_take_screenshot", { id });
    const image = shot.content.find((part) => part.type === "image");
    expect(image?.mimeType).toBe("image/png");
    expect(pngSize(Buffer.from(image?.data ?? "", "base64"))).toEqual({ width: 1280, height: 720 });
    const stored = JSON.parse(text(shot)) as { url: string; pageUrl: string };
    expect(stored.pageUrl).toMatch(new RegExp(`^${web}/products/\\d+$`));
    const png = await fetch(stored.url, { headers });
    expect(png.status).toBe(200);
    expect(pngSize(Buffer.from(await png.arrayBuffer()))).toEqual({ width: 1280, height: 720 });

    expect((await openPages(server())).some((url) => url.startsWith(`${web}/products/`))).toBe(true);
    await end();
    // The session's pages close with it: the next client finds none of them.
    await expect
      .poll(async () => (await openPages(server())).filter((url) => url.startsWith(web)), {
        timeout: 15_000,
      })
      .toEqual([]);
  };

  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
  };
  const post = (url: string, headers: Record<string, string>) =>
    fetch(`${url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body: JSON.stringify(initialize),
    });

  describe("on a previewd without a token", () => {
    it.each([
      ["stdio", overStdio],
      ["HTTP", overHttp],
    ] as const)(
      "over %s: navigate, snapshot, click a product by its ref, read the console and logs, screenshot",
      (transport, connect) => drive(transport, connect, () => open),
      180_000,
    );

    describe("over HTTP", () => {
      let client: Client;
      let end: () => Promise<void>;
      beforeAll(async () => ({ client, end } = await overHttp(open)));
      afterAll(() => end?.());

      it("says what to do next: open a page first, take a new snapshot for a stale ref", async () => {
        const id = open.shop.id;
        const early = await call(client, "browser_snapshot", { id });
        expect(early.isError).toBe(true);
        expect(text(early)).toMatch(/no page is open .* open one with browser_navigate/);

        await call(client, "browser_navigate", { id, path: "/" });
        const stale = await call(client, "browser_click", { id, ref: "e999" });
        expect(stale.isError).toBe(true);
        expect(text(stale)).toContain("no element for ref e999");
        expect(text(stale)).toContain("take a new snapshot (browser_snapshot)");

        const unknown = await call(client, "browser_navigate", { id: "no-such-env", path: "/" });
        expect(unknown.isError).toBe(true);
        expect(text(unknown)).toContain('no environment "no-such-env"');
      });

      it("connects again after the browser was reset, which closed its pages", async () => {
        const id = open.shop.id;
        await call(client, "browser_navigate", { id, path: "/" });
        const reset = await open.harness.request("POST", `/v1/environments/${id}/devtools/reset`);
        expect(reset.status).toBeLessThan(300);
        const gone = await call(client, "browser_snapshot", { id });
        expect(gone.isError).toBe(true);
        expect(text(gone)).toContain("open one with browser_navigate");
        const again = await call(client, "browser_navigate", { id, path: "/" });
        expect(again.isError, text(again)).toBeFalsy();
        expect(productLink(text(again)).ref).toBeTruthy();
      });
    });

    it("refuses /mcp from a web page", async () => {
      const fromPage = await post(open.harness.url, { origin: "http://evil.example" });
      expect(fromPage.status).toBe(403);
    });
  });

  describe("on the same previewd restarted with a token", () => {
    beforeAll(async () => {
      guarded = await restartWithToken(open);
    }, setupTimeoutMs);

    it.each([
      ["stdio with a token", overStdio],
      ["HTTP with a token", overHttp],
    ] as const)(
      "over %s: navigate, snapshot, click a product by its ref, read the console and logs, screenshot",
      (transport, connect) => drive(transport, connect, () => guarded),
      180_000,
    );

    it("refuses /mcp without the token or with a wrong one", async () => {
      for (const headers of [{}, { authorization: "Bearer wrong" }] as Record<string, string>[]) {
        const refused = await post(guarded.harness.url, headers);
        expect(refused.status).toBe(401);
        expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
        expect(((await refused.json()) as { detail: string }).detail).toMatch(/bearer token/);
      }
      expect((await post(guarded.harness.url, auth)).status).toBe(200);

      const client = new Client({ name: "previewd-tests", version: "1.0.0" });
      await expect(
        client.connect(new StreamableHTTPClientTransport(new URL(`${guarded.harness.url}/mcp`))),
      ).rejects.toThrow(/401/);
    });
  });
});
