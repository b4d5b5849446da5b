/**
 * An agent drives previewd through `previewd mcp`: the real CLI spawned on stdio, spoken to with
 * the MCP SDK's own client, against a real previewd.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumMissing, skipWithoutChromium } from "./helpers/chromium.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { alive } from "./helpers/processes.ts";

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), "../provisioner/cli/previewd.js");

let harness: Harness;
let repo: FixtureRepo;
let client: Client;
let transport: StdioClientTransport;

beforeAll(async () => {
  repo = createFixtureRepo();
  harness = await startHarness();
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli, "mcp", "--server", harness.url],
    env: getDefaultEnvironment(),
    stderr: "pipe",
  });
  client = new Client({ name: "previewd-tests", version: "1.0.0" });
  await client.connect(transport);
}, 60_000);
afterAll(async () => {
  await client?.close();
  await harness?.close();
});

async function call(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

/** The JSON a tool returned (after its summary line, if any). */
function json<T>(result: CallToolResult): T {
  const body = text(result);
  return JSON.parse(
    body.slice(Math.min(...["{", "["].map((c) => body.indexOf(c)).filter((i) => i >= 0))),
  ) as T;
}

describe("driving previewd over MCP", () => {
  let id: string;

  it("lists previewd's tools", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      [
        "create_environment",
        "delete_environment",
        "get_environment",
        "get_flags",
        "get_logs",
        "list_environments",
        "list_scenarios",
        "load_scenario",
        "redeploy_environment",
        "set_flags",
        "take_screenshot",
        "browser_navigate",
        "browser_navigate_back",
        "browser_snapshot",
        "browser_click",
        "browser_type",
        "browser_press_key",
        "browser_select_option",
        "browser_hover",
        "browser_evaluate",
        "browser_wait_for",
        "browser_console_messages",
        "browser_network_requests",
        "browser_resize",
        "browser_tabs",
        "browser_take_screenshot",
        "start_recording",
        "stop_recording",
      ].sort(),
    );
    const create = tools.find((tool) => tool.name === "create_environment");
    expect(create?.inputSchema.required).toEqual(["repo"]);
  });

  it("creates an environment and waits until it is ready", async () => {
    const result = await call("create_environment", { repo: repo.dir });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toMatch(/^created: \S+ \(ready\) api http:\/\/api--/);
    const environment = json<{ id: string; status: string; apps: Record<string, { url: string }> }>(result);
    expect(environment.status).toBe("ready");
    id = environment.id;

    const listed = await call("list_environments");
    expect(text(listed)).toContain(`${id} (ready)`);
  }, 120_000);

  it("reads and sets flags, and says what is wrong with a bad value", async () => {
    const set = await call("set_flags", { id, flags: { greeting: "hi" } });
    expect(json<Record<string, { value: unknown }>>(set).greeting?.value).toBe("hi");

    const wrong = await call("set_flags", { id, flags: { greeting: 5 } });
    expect(wrong.isError).toBe(true);
    expect(text(wrong)).toContain("greeting");

    const flags = await call("get_flags", { id });
    expect(json<Record<string, { value: unknown }>>(flags).greeting?.value).toBe("hi");
  });

  it("reads logs as {ts, app, stream, line} lines", async () => {
    const result = await call("get_logs", { id, app: ["previewd"], tail: 5 });
    const lines = text(result)
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(["ts", "app", "stream", "line"]);
      expect(line.app).toBe("previewd");
    }
  });

  it.skipIf(skipWithoutChromium)(
    "returns a screenshot as a PNG image",
    async () => {
      if (chromiumMissing) throw new Error("Chromium is required (PREVIEWD_REQUIRE_ALL=1)");
      const result = await call("take_screenshot", { id, app: "web", width: 400, height: 300 });
      expect(result.isError).toBeFalsy();
      const image = result.content.find((part) => part.type === "image");
      expect(image?.mimeType).toBe("image/png");
      const png = Buffer.from(image?.data ?? "", "base64");
      expect(png.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(JSON.parse(text(result))).toMatchObject({ width: 400, height: 300, consoleErrors: [] });
    },
    60_000,
  );

  it("redeploys a new commit and returns once it is ready and serving", async () => {
    const commit = repo.commit({ "apps/web/version.txt": "over-mcp" }, "web over mcp");
    const result = await call("redeploy_environment", { id });
    expect(result.isError).toBeFalsy();
    expect(text(result)).toMatch(/^redeployed: \S+ \(ready\)/);
    const environment = json<{ commit: string; status: string; apps: Record<string, { directUrl: string }> }>(
      result,
    );
    expect(environment).toMatchObject({ commit, status: "ready" });
    expect(await (await fetch(environment.apps.web!.directUrl)).text()).toContain("over-mcp");
  }, 120_000);

  it("answers an unknown environment with previewd's problem, as a tool error", async () => {
    const result = await call("get_environment", { id: "no-such-env" });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('no environment "no-such-env"');
  });

  it("deletes the environment and waits until it is gone", async () => {
    const result = await call("delete_environment", { id });
    expect(text(result)).toBe(`deleted ${id}`);
    expect(harness.previewd.orchestrator.list()).toEqual([]);
  }, 60_000);

  it("exits when the client closes its stdin", async () => {
    const pid = transport.pid;
    expect(pid).toBeGreaterThan(0);
    await client.close();
    await expect.poll(() => alive(pid!), { timeout: 10_000 }).toBe(false);
  });
});
