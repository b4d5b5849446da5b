/** MCP tools to look at and steer a running environment: logs, flags, scenarios, screenshots. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { flagValueSchema } from "../environments/environment-schema.ts";
import type { PreviewdClient } from "../cli/client.ts";
import { asToolResult, jsonResult, pngResult, textResult } from "./tool-results.ts";

const id = z.string().min(1).describe("the environment's id");

export function registerInspectionTools(server: McpServer, client: PreviewdClient): void {
  server.registerTool(
    "get_logs",
    {
      title: "Read an environment's logs",
      description:
        "Log lines of apps, services, previewd itself and the browser, oldest first, as NDJSON {ts, app, stream, line}.",
      inputSchema: {
        id,
        app: oneOrMore(z.string().min(1)).describe(
          'an app or service name, "browser" or "previewd", or a list',
        ),
        stream: oneOrMore(z.enum(["stdout", "stderr", "system", "browser"])).describe("a stream, or a list"),
        since: z.string().optional().describe('an RFC 3339 time or a duration back such as "5m"'),
        tail: z.number().int().min(0).max(10_000).default(200).describe("the last N lines"),
        grep: z
          .string()
          .optional()
          .describe(
            "only lines containing this text, or matching /regex/flags (RE2 syntax: no backreferences or lookaround)",
          ),
      },
    },
    ({ id, app, stream, ...query }) =>
      asToolResult(async () => {
        const entries = await client.logs(id, { ...query, app: listOf(app), stream: listOf(stream) });
        if (entries.length === 0) return textResult("no matching log lines");
        return textResult(
          entries.map(({ ts, app, stream, line }) => JSON.stringify({ ts, app, stream, line })).join("\n"),
        );
      }),
  );

  server.registerTool(
    "get_flags",
    {
      title: "Read feature flags",
      description: "Each declared flag's type, current value and default.",
      inputSchema: { id },
    },
    ({ id }) => asToolResult(async () => jsonResult(await client.flags(id))),
  );

  server.registerTool(
    "set_flags",
    {
      title: "Set feature flags",
      description: "Set flag values; apps see them on their next evaluation, with no restart.",
      inputSchema: {
        id,
        flags: z.record(z.string(), flagValueSchema).describe('e.g. {"new-checkout": true}'),
      },
    },
    ({ id, flags }) => asToolResult(async () => jsonResult(await client.setFlags(id, flags))),
  );

  server.registerTool(
    "list_scenarios",
    {
      title: "List seed scenarios",
      description: "The seed scenarios an environment can load, with descriptions.",
      inputSchema: { id },
    },
    ({ id }) => asToolResult(async () => jsonResult(await client.listScenarios(id))),
  );

  server.registerTool(
    "load_scenario",
    {
      title: "Load a seed scenario",
      description: "Reset the environment's data and load the named scenario (and its flags).",
      inputSchema: { id, name: z.string().min(1) },
    },
    ({ id, name }) =>
      asToolResult(async () => jsonResult(await client.loadScenario(id, name), `loaded ${name}`)),
  );

  server.registerTool(
    "take_screenshot",
    {
      title: "Screenshot a page",
      description:
        "Open a page of the environment in its browser and return the PNG, with the console errors it logged.",
      inputSchema: {
        id,
        app: z.string().optional().describe('default: "web" if there is one, else the first app'),
        path: z.string().optional().describe('path on the app\'s preview URL, starting with "/"'),
        url: z.string().optional().describe("a preview URL of the environment (instead of app and path)"),
        fullPage: z.boolean().optional(),
        width: z.number().int().optional(),
        height: z.number().int().optional(),
        waitFor: z.string().optional().describe('"load" (default), "networkidle" or a CSS selector'),
      },
    },
    ({ id, ...request }) =>
      asToolResult(async () => {
        const shot = await client.takeScreenshot(id, request);
        return pngResult(await client.screenshotPng(id, shot.id), shot);
      }),
  );
}

/** Agents write `app: "browser"` as often as `app: ["browser"]`: both mean the same. */
function oneOrMore<T extends z.ZodType>(item: T) {
  return z.union([item, z.array(item)]).optional();
}

function listOf<T>(value: T | T[] | undefined): T[] | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value : [value];
}
