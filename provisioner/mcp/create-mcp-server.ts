/**
 * previewd as a Model Context Protocol server: each tool is one call on previewd's HTTP API
 * (through the CLI's client), so an agent gets exactly what the API gives, and its errors.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { PreviewdClient } from "../cli/client.ts";
import { registerEnvironmentTools } from "./environment-tools.ts";
import { registerInspectionTools } from "./inspection-tools.ts";

export function createMcpServer(client: PreviewdClient, options: { version: string }): McpServer {
  const server = new McpServer(
    { name: "previewd", version: options.version },
    {
      instructions:
        "previewd runs a full environment per branch of a monorepo. create_environment, then open its app URLs, " +
        "read get_logs, flip set_flags, load_scenario for known data, and take_screenshot to see a page.",
    },
  );
  registerEnvironmentTools(server, client);
  registerInspectionTools(server, client);
  return server;
}
