/**
 * start_recording and stop_recording over MCP, against a recorded fake of previewd's HTTP API:
 * what they ask of it, what they answer, and that previewd's problems come back as tool errors
 * that say what to do next.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PreviewdClient } from "../../cli/client.ts";
import { createMcpServer, type PreviewdMcpServer } from "../create-mcp-server.ts";

interface Call {
  method: string;
  path: string;
  body: unknown;
}

let calls: Call[];
let answers: { status: number; body: unknown }[];
let mcp: PreviewdMcpServer;
let client: Client;

const fakeFetch: typeof fetch = async (input, init) => {
  const url = new URL(String(input));
  calls.push({
    method: init?.method ?? "GET",
    path: url.pathname,
    body: init?.body ? JSON.parse(String(init.body)) : undefined,
  });
  const answer = answers.shift() ?? { status: 500, body: { title: "no answer planned" } };
  return new Response(JSON.stringify(answer.body), {
    status: answer.status,
    headers: { "content-type": answer.status < 300 ? "application/json" : "application/problem+json" },
  });
};

function text(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

describe("start_recording and stop_recording", () => {
  beforeEach(async () => {
    calls = [];
    answers = [];
    mcp = createMcpServer(new PreviewdClient({ baseUrl: "http://127.0.0.1:7070", fetch: fakeFetch }), {
      version: "0.0.0-test",
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: "t", version: "1" });
    await Promise.all([mcp.server.connect(serverSide), client.connect(clientSide)]);
  });
  afterEach(async () => {
    await client.close();
    await mcp.close();
  });

  it("start records the page navigated last when this session has none, and stop answers the video", async () => {
    const { tools } = await client.listTools();
    const start = tools.find((tool) => tool.name === "start_recording");
    expect(Object.keys(start?.inputSchema.properties ?? {})).toEqual(["id", "targetId"]);
    expect(tools.map((tool) => tool.name)).toContain("stop_recording");

    answers.push({
      status: 201,
      body: { id: "r1", status: "recording", targetId: "T1", pageUrl: "http://web--shop.localhost:7070/" },
    });
    const started = await call("start_recording", { id: "shop-1" });
    expect(started.isError).toBeFalsy();
    expect(calls).toEqual([{ method: "POST", path: "/v1/environments/shop-1/recordings", body: {} }]);
    expect(text(started)).toContain('stop_recording {"id": "shop-1", "recording": "r1"}');

    const url = "http://127.0.0.1:7070/v1/environments/shop-1/recordings/r1.webm";
    answers.push({ status: 200, body: { id: "r1", url, durationMs: 2040, frames: 51, endedBy: "stop" } });
    const stopped = await call("stop_recording", { id: "shop-1", recording: "r1" });
    expect(calls[1]).toMatchObject({ method: "POST", path: "/v1/environments/shop-1/recordings/r1/stop" });
    expect(text(stopped)).toContain(`video: ${url} (2.0 s, 51 frames)`);
  });

  it("passes a targetId on, and turns previewd's problems into errors that say what to do", async () => {
    answers.push({
      status: 503,
      body: {
        type: "ffmpeg-unavailable",
        title: "Service Unavailable",
        status: 503,
        detail:
          "recording a video needs ffmpeg, and there is none on previewd's PATH: install it (apt-get install ffmpeg)",
      },
    });
    const missing = await call("start_recording", { id: "shop-1", targetId: "T9" });
    expect(calls[0]?.body).toEqual({ targetId: "T9" });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain("apt-get install ffmpeg");

    answers.push({
      status: 409,
      body: { type: "conflict", title: "Conflict", status: 409, detail: "recording r1 was stopped already" },
    });
    const twice = await call("stop_recording", { id: "shop-1", recording: "r1" });
    expect(twice.isError).toBe(true);
    expect(text(twice)).toContain("stopped already");
  });
});
