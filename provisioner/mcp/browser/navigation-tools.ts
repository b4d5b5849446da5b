/** Browser tools that choose what the page is: navigate, back, tabs, the viewport's size. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { PreviewdClient } from "../../cli/client.ts";
import { textResult } from "../tool-results.ts";
import type { BrowserSessions } from "./browser-sessions.ts";
import { asBrowserToolResult, envIdShape } from "./browser-tool-result.ts";
import { afterAction } from "./page-report.ts";
import { pageUrlFor } from "./page-target.ts";

const waitUntil = z
  .enum(["load", "domcontentloaded", "networkidle", "commit"])
  .default("load")
  .describe("when the navigation counts as done");

export function registerNavigationTools(
  server: McpServer,
  client: PreviewdClient,
  sessions: BrowserSessions,
): void {
  server.registerTool(
    "browser_navigate",
    {
      title: "Open a page in the environment's browser",
      description:
        "Open an app's page (app and path on its preview URL) or a URL in the environment's browser, in this " +
        "session's current tab (a new one if there is none). Answers the page's accessibility snapshot with " +
        "element refs for browser_click, browser_type and the other browser tools.",
      inputSchema: {
        ...envIdShape,
        app: z
          .string()
          .optional()
          .describe('an app of the environment; default "web" if there is one, else the first'),
        path: z
          .string()
          .optional()
          .describe('a path on the app\'s preview URL, starting with "/"; default "/"'),
        url: z.string().optional().describe("a URL to open instead of app and path"),
        waitUntil,
      },
    },
    ({ id, waitUntil, ...target }) =>
      asBrowserToolResult(async () => {
        const url = pageUrlFor(await client.getEnvironment(id), target);
        const page = await (await sessions.open(id)).pageToNavigate();
        const response = await page.goto(url, { waitUntil });
        const status = response
          ? ` (HTTP ${response.status()}${response.ok() ? "" : ", an error page"})`
          : "";
        return textResult(await afterAction(page, `Navigated to ${url}${status}`));
      }),
  );

  server.registerTool(
    "browser_navigate_back",
    {
      title: "Go back",
      description: "Go back to the previous page in the current tab's history.",
      inputSchema: { ...envIdShape },
    },
    ({ id }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const response = await page.goBack();
        return textResult(await afterAction(page, response ? "Went back" : "No earlier page in this tab"));
      }),
  );

  server.registerTool(
    "browser_tabs",
    {
      title: "List, select, open or close tabs",
      description:
        "The tabs this session opened in the environment's browser (popups included), numbered from 0. " +
        "select makes one current, new opens an empty one (then browser_navigate), close closes one.",
      inputSchema: {
        ...envIdShape,
        action: z.enum(["list", "select", "new", "close"]).default("list"),
        index: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe("the tab for select and close; default: the current one"),
      },
    },
    ({ id, action, index }) =>
      asBrowserToolResult(async () => {
        const session = action === "new" ? await sessions.open(id) : await sessions.require(id);
        if (action === "new") await session.newTab();
        const current = () => session.tabs().findIndex((page) => session.isCurrent(page));
        if (action === "select") await session.selectTab(index ?? Math.max(0, current()));
        if (action === "close") await session.closeTab(index ?? Math.max(0, current()));
        const tabs = session.tabs();
        if (tabs.length === 0) return textResult("No tabs open (browser_navigate opens one)");
        const lines = await Promise.all(
          tabs.map(async (page, n) => {
            const title = await page.title().catch(() => "");
            return `${n}: ${page.url()}${title ? ` — ${JSON.stringify(title)}` : ""}${session.isCurrent(page) ? " (current)" : ""}`;
          }),
        );
        return textResult(lines.join("\n"));
      }),
  );

  server.registerTool(
    "browser_resize",
    {
      title: "Resize the viewport",
      description: "Set the current tab's viewport, in CSS pixels (default 1280×720).",
      inputSchema: {
        ...envIdShape,
        width: z.number().int().min(100).max(3840),
        height: z.number().int().min(100).max(2160),
      },
    },
    ({ id, width, height }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        await page.setViewportSize({ width, height });
        return textResult(`Viewport is ${width}×${height}`);
      }),
  );
}
