/** Browser tools that act on the page as a user would: click, type, press keys, select, hover, wait. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { textResult } from "../tool-results.ts";
import type { BrowserSessions } from "./browser-sessions.ts";
import { BrowserToolError } from "./browser-errors.ts";
import { asBrowserToolResult, envIdShape } from "./browser-tool-result.ts";
import { describeTarget, elementFor, elementTargetShape } from "./element-target.ts";
import { afterAction } from "./page-report.ts";

const MAX_WAIT_SECONDS = 60;

export function registerInteractionTools(server: McpServer, sessions: BrowserSessions): void {
  server.registerTool(
    "browser_click",
    {
      title: "Click an element",
      description: "Click an element of the current page, by ref from browser_snapshot (or CSS selector).",
      inputSchema: {
        ...envIdShape,
        ...elementTargetShape,
        button: z.enum(["left", "right", "middle"]).default("left"),
        doubleClick: z.boolean().default(false),
      },
    },
    ({ id, button, doubleClick, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const element = await elementFor(page, target);
        if (doubleClick) await element.dblclick({ button });
        else await element.click({ button });
        return textResult(await afterAction(page, `Clicked ${describeTarget(target)}`));
      }),
  );

  server.registerTool(
    "browser_type",
    {
      title: "Type into a field",
      description:
        "Fill a text field of the current page (replacing what it holds), or type key by key with slowly; " +
        "submit presses Enter afterwards.",
      inputSchema: {
        ...envIdShape,
        ...elementTargetShape,
        text: z.string().max(100_000),
        submit: z.boolean().default(false).describe("press Enter after typing"),
        slowly: z
          .boolean()
          .default(false)
          .describe("type one key at a time (for fields that react to each key)"),
      },
    },
    ({ id, text, submit, slowly, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const element = await elementFor(page, target);
        if (slowly) await element.pressSequentially(text);
        else await element.fill(text);
        if (submit) await element.press("Enter");
        return textResult(
          await afterAction(
            page,
            `Typed ${JSON.stringify(text)} into ${describeTarget(target)}${submit ? " and pressed Enter" : ""}`,
          ),
        );
      }),
  );

  server.registerTool(
    "browser_press_key",
    {
      title: "Press a key",
      description:
        'Press a key or combination ("Enter", "Escape", "ArrowDown", "Control+A") on the focused element, ' +
        "or on an element given by ref or selector.",
      inputSchema: { ...envIdShape, key: z.string().min(1).max(100), ...elementTargetShape },
    },
    ({ id, key, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        if (target.ref === undefined && target.selector === undefined) await page.keyboard.press(key);
        else await (await elementFor(page, target)).press(key);
        return textResult(await afterAction(page, `Pressed ${key}`));
      }),
  );

  server.registerTool(
    "browser_select_option",
    {
      title: "Select in a drop-down",
      description: "Choose one or several options of a <select>, by value or label.",
      inputSchema: {
        ...envIdShape,
        ...elementTargetShape,
        values: z
          .union([z.string(), z.array(z.string()).min(1)])
          .describe("an option's value or label, or a list"),
      },
    },
    ({ id, values, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const chosen = await (await elementFor(page, target)).selectOption(values);
        return textResult(
          await afterAction(page, `Selected ${JSON.stringify(chosen)} in ${describeTarget(target)}`),
        );
      }),
  );

  server.registerTool(
    "browser_hover",
    {
      title: "Hover over an element",
      description: "Move the mouse over an element (menus, tooltips).",
      inputSchema: { ...envIdShape, ...elementTargetShape },
    },
    ({ id, ...target }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        await (await elementFor(page, target)).hover();
        return textResult(await afterAction(page, `Hovered over ${describeTarget(target)}`));
      }),
  );

  server.registerTool(
    "browser_wait_for",
    {
      title: "Wait for text or an element",
      description:
        "Wait until a text appears (or goes away) on the current page, or a CSS selector matches a visible element.",
      inputSchema: {
        ...envIdShape,
        text: z.string().min(1).optional().describe("wait until this text is visible"),
        textGone: z.string().min(1).optional().describe("wait until this text is no longer visible"),
        selector: z
          .string()
          .min(1)
          .optional()
          .describe("wait until this CSS selector matches a visible element"),
        timeout: z.number().positive().max(MAX_WAIT_SECONDS).default(10).describe("seconds"),
      },
    },
    ({ id, text, textGone, selector, timeout }) =>
      asBrowserToolResult(async () => {
        const page = (await sessions.require(id)).page();
        const asked = [text, textGone, selector].filter((value) => value !== undefined).length;
        if (asked !== 1) throw new BrowserToolError("give exactly one of text, textGone and selector");
        const ms = timeout * 1000;
        if (text !== undefined) await page.getByText(text).first().waitFor({ state: "visible", timeout: ms });
        if (textGone !== undefined)
          await page.getByText(textGone).first().waitFor({ state: "hidden", timeout: ms });
        if (selector !== undefined)
          await page.locator(selector).first().waitFor({ state: "visible", timeout: ms });
        const what = text ?? textGone ?? selector;
        return textResult(
          await afterAction(page, `Waited for ${JSON.stringify(what)}${textGone ? " to go" : ""}`),
        );
      }),
  );
}
