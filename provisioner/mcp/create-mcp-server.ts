/**
 * previewd as a Model Context Protocol server: each environment tool is one call on previewd's
 * HTTP API (through the CLI's client), so an agent gets exactly what the API gives, and its
 * errors; the browser tools drive an environment's browser with Playwright over the bridge.
 * One server per MCP session (stdio: the process; HTTP: each `Mcp-Session-Id`): closing it
 * closes the browser connections and pages that session opened.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { PreviewdClient } from "../cli/client.ts";
import { BrowserSessions } from "./browser/browser-sessions.ts";
import { registerBrowserTools } from "./browser/register-browser-tools.ts";
import { registerEnvironmentTools } from "./environment-tools.ts";
import { registerInspectionTools } from "./inspection-tools.ts";

export interface PreviewdMcpServer {
  server: McpServer;
  /** Closes the server and every browser session it opened. */
  close(): Promise<void>;
}

export function createMcpServer(client: PreviewdClient, options: { version: string }): PreviewdMcpServer {
  const server = new McpServer(
    { name: "previewd", version: options.version },
    {
      instructions:
        "previewd runs a full environment per branch of a monorepo. create_environment, then open its app URLs, " +
        "read get_logs, flip set_flags, load_scenario for known data, and take_screenshot to see a page. " +
        "Drive its browser with browser_navigate (app and path), browser_snapshot (element refs), browser_click, " +
        "browser_type and the other browser_* tools, each given the environment's id; start_recording and " +
        "stop_recording make a video of what you do there.",
    },
  );
  const sessions = new BrowserSessions((id) => client.devtoolsEndpoint(id));
  registerEnvironmentTools(server, client);
  registerInspectionTools(server, client);
  registerBrowserTools(server, client, sessions);
  return {
    server,
    async close() {
      await server.close().catch(() => undefined);
      await sessions.close();
    },
  };
}
