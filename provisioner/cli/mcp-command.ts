/**
 * `previewd mcp`: a Model Context Protocol server on stdio that drives a running previewd over
 * its HTTP API. stdout carries the protocol, so nothing else may be printed there.
 */
import { Command } from "commander";
import { packageVersion } from "./package-info.ts";
import { addServerOption, clientFor } from "./server-options.ts";

export function mcpCommand(): Command {
  return addServerOption(new Command("mcp"))
    .description("serve previewd's tools to an agent over the Model Context Protocol on stdio")
    .action(async (options: { server?: string }) => {
      // Loaded here, not at the top, so that other commands (and --help) do not load the MCP SDK.
      const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([
        import("@modelcontextprotocol/sdk/server/stdio.js"),
        import("../mcp/create-mcp-server.ts"),
      ]);
      const mcp = createMcpServer(clientFor(options), { version: packageVersion() });
      await mcp.server.connect(new StdioServerTransport());
      console.error(`previewd mcp: serving tools for previewd at ${clientFor(options).baseUrl}`);
      await untilInputEndsOrSignal();
      // Also disconnects from the environments' browsers, whose bridge closes this session's pages.
      await mcp.close();
    });
}

/** The client closing our stdin is how an MCP host ends a stdio server; signals end it too. */
function untilInputEndsOrSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once("end", resolve).once("close", resolve);
    process.once("SIGINT", resolve).once("SIGTERM", resolve);
  });
}
