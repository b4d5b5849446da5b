/** Browser tools that read the page: its accessibility snapshot, a script's result, console and network. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Request } from "playwright-core";
import { z } from "zod";
import { textResult } from "../tool-results.ts";
import type { BrowserSessions } from "./browser-sessions.ts";
import { asBrowserToolResult, envIdShape } from "./browser-tool-result.ts";
import { elementFor, elementTargetShape } from "./element-target.ts";
import { pageHeader, snapshotText } from "./page-report.ts";

const MAX_RESULT_CHARS = 20_000;
const staticTypes = new Set(["image", "stylesheet", "font", "media", "script", "manifest", "other"]);

export function registerPageReadingTools(server: McpServer, sessions: BrowserSessions): void {
  server.registerTool(
    "browser_snapshot",
    {
      title: "Read the page (accessibility snapshot)",
      description:
        "The current page as an accessibility tree: roles, names, states and a ref for each element " +
        "(e.g. [ref=e12]) that browser_click, browser_type and the other tools take. Refs are those of the latest snapshot.",
      inputSchema: { ...envIdShape },
    },
    ({ id }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        return textResult(`${await pageHeader(page)}\n${await snapshotText(page)}`);
      }),
  );

  server.registerTool(
    "browser_evaluate",
    {
      title: "Run JavaScript in the page",
      description:
        "Evaluate JavaScript in the current page and answer its result as JSON: an expression, statements, or a " +
        "function such as `() => document.title`, awaited if it returns a promise. With ref or selector, a function " +
        "gets the element: `(el) => el.value`.",
      inputSchema: {
        ...envIdShape,
        expression: z.string().min(1).max(100_000),
        ...elementTargetShape,
      },
    },
    ({ id, expression, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const onElement = target.ref !== undefined || target.selector !== undefined;
        const receiver = onElement ? await elementFor(page, target) : page.locator(":root");
        const result: unknown = await receiver.evaluate(runSource, expression);
        const text = result === undefined ? "undefined" : JSON.stringify(result, null, 2);
        return textResult(
          text.length > MAX_RESULT_CHARS
            ? `${text.slice(0, MAX_RESULT_CHARS)}\n… cut at ${MAX_RESULT_CHARS} characters`
            : text,
        );
      }),
  );

  server.registerTool(
    "browser_console_messages",
    {
      title: "Console messages of the page",
      description:
        "What the current page logged (console.* calls, and uncaught errors as [pageerror]), oldest first. " +
        "The environment's logs (get_logs with app browser) also hold them, for every page.",
      inputSchema: {
        ...envIdShape,
        level: z
          .enum(["error", "warning", "all"])
          .default("all")
          .describe("error: errors only; warning: warnings and errors"),
        sinceNavigation: z
          .boolean()
          .default(false)
          .describe("only what was logged since the last navigation"),
      },
    },
    ({ id, level, sinceNavigation }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const filter = sinceNavigation ? "since-navigation" : "all";
        const wanted = (type: string) =>
          level === "all" || type === "error" || (level === "warning" && type === "warning");
        const lines = (await page.consoleMessages({ filter }))
          .filter((message) => wanted(message.type()))
          .map((message) => {
            const { url, lineNumber } = message.location();
            return `[${message.type()}] ${message.text()}${url ? ` (${url}:${lineNumber + 1})` : ""}`;
          });
        for (const error of await page.pageErrors({ filter })) lines.push(`[pageerror] ${error.message}`);
        return textResult(
          lines.length > 0 ? lines.join("\n") : `no ${level === "all" ? "" : `${level} `}console messages`,
        );
      }),
  );

  server.registerTool(
    "browser_network_requests",
    {
      title: "Network requests of the page",
      description:
        "The current page's recent requests (up to 100): method, URL, resource type and status, or why it failed. " +
        "Documents, fetch and XHR by default; includeStatic adds images, scripts, styles and fonts.",
      inputSchema: {
        ...envIdShape,
        includeStatic: z.boolean().default(false),
        urlContains: z.string().optional().describe("only requests whose URL contains this text"),
      },
    },
    ({ id, includeStatic, urlContains }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const requests = (await page.requests()).filter(
          (request) =>
            (includeStatic || !staticTypes.has(request.resourceType())) &&
            (urlContains === undefined || request.url().includes(urlContains)),
        );
        const lines = await Promise.all(requests.map(describeRequest));
        return textResult(lines.length > 0 ? lines.join("\n") : "no matching requests");
      }),
  );
}

/**
 * Runs in the page: the agent's source is an expression, a function (called with the element),
 * or statements (their completion value), as the agent wrote it. Playwright takes a string as an
 * expression only, so the source is evaluated in the page itself, as @playwright/mcp does.
 */
async function runSource(element: unknown, source: string): Promise<unknown> {
  const globalEval = eval;
  let value: unknown;
  try {
    value = globalEval(`(${source})`);
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    value = globalEval(source);
  }
  return typeof value === "function" ? await (value as (element: unknown) => unknown)(element) : await value;
}

async function describeRequest(request: Request): Promise<string> {
  const head = `${request.method()} ${request.url()} [${request.resourceType()}]`;
  const failure = request.failure();
  if (failure) return `${head} → failed: ${failure.errorText}`;
  // Asking a request still under way for its response would wait for it.
  if (request.timing().responseStart < 0) return `${head} → pending`;
  const response = await request.response();
  return response ? `${head} → ${response.status()}` : `${head} → no response`;
}
