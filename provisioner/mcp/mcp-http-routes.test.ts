import express from "express";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PreviewdClient } from "../cli/client.ts";
import { startHttpServer, type RunningHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { mcpHttp, type McpHttp } from "./mcp-http-routes.ts";

let server: RunningHttpServer;
let mcp: McpHttp;
const idleMs = 300;

beforeAll(async () => {
  mcp = mcpHttp({
    // No tool is called here: nothing answers at this address.
    client: () => new PreviewdClient({ baseUrl: "http://127.0.0.1:9" }),
    version: "0.0.0-test",
    logger: silentLogger,
    idleMs,
  });
  const app = express();
  app.use("/mcp", mcp.routes);
  server = await startHttpServer({ app, host: "127.0.0.1", port: 0, logger: silentLogger });
});
afterAll(async () => {
  await mcp.close();
  await server.close();
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`));
  const client = new Client({ name: "t", version: "1" });
  await client.connect(transport);
  return { client, transport };
}

function post(
  headers: Record<string, string>,
  body: unknown = { jsonrpc: "2.0", id: 2, method: "tools/list" },
) {
  return fetch(`${server.url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

describe("MCP over streamable HTTP", () => {
  it("serves a session its tools until it ends with DELETE, then says to start a new one", async () => {
    const { client, transport } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(["get_environment", "browser_navigate"]),
    );
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    const after = await post({ "mcp-session-id": sessionId });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({
      error: { message: expect.stringContaining("initialize a new one") },
    });
    await client.close();
  });

  it("answers a request without a session that is not an initialize with 400", async () => {
    expect((await post({})).status).toBe(400);
    const get = await fetch(`${server.url}/mcp`, { headers: { accept: "text/event-stream" } });
    expect(get.status).toBe(400);
    expect(await get.json()).toMatchObject({ error: { message: expect.stringContaining("initialize") } });
  });

  // Each poll is a request, which keeps a session in use: polls come further apart than the idle time.
  it("closes a session left idle", async () => {
    const { client, transport } = await connect();
    const sessionId = transport.sessionId!;
    await client.close();
    await expect
      .poll(async () => (await post({ "mcp-session-id": sessionId })).status, {
        timeout: 10_000,
        interval: 4 * idleMs,
      })
      .toBe(404);
  });
});
