/** The browser tools: each takes the environment's id and drives its browser through Playwright over the bridge. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { PreviewdClient } from "../../cli/client.ts";
import type { BrowserSessions } from "./browser-sessions.ts";
import { registerInteractionTools } from "./interaction-tools.ts";
import { registerNavigationTools } from "./navigation-tools.ts";
import { registerPageReadingTools } from "./page-reading-tools.ts";
import { registerRecordingTools } from "./recording-tools.ts";
import { registerScreenshotTool } from "./screenshot-tool.ts";

export function registerBrowserTools(
  server: McpServer,
  client: PreviewdClient,
  sessions: BrowserSessions,
): void {
  registerNavigationTools(server, client, sessions);
  registerInteractionTools(server, sessions);
  registerPageReadingTools(server, sessions);
  registerScreenshotTool(server, client, sessions);
  registerRecordingTools(server, client, sessions);
}
