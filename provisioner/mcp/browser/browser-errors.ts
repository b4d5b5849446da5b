/**
 * Errors of the browser tools, each saying what to do next. Playwright's own errors (timeouts,
 * closed pages, failed navigations, scripts that threw) are turned into these with the useful
 * part of Playwright's message (its first line and the end of its call log).
 */
import { PreviewdError } from "../../errors.ts";

export class BrowserToolError extends PreviewdError {
  readonly status = 409;
  readonly type = "browser-tool";
}

/** Turns a Playwright error into a BrowserToolError that says what to try next; other errors pass. */
export function explainBrowserError(error: unknown): unknown {
  if (!(error instanceof Error) || error instanceof PreviewdError) return error;
  const { first, log } = splitMessage(error.message);
  // By name: playwright-core is loaded only once a browser tool runs (browser-session.ts).
  if (error.name === "TimeoutError") {
    return new BrowserToolError(
      `${first}${log}\n→ not in time: the element may be missing, hidden, disabled or covered, or the page still ` +
        "loading; take a new snapshot (browser_snapshot) to see the page as it is now, then retry or browser_wait_for",
      { cause: error },
    );
  }
  if (/has been closed|Target closed|browser has disconnected/i.test(first)) {
    return new BrowserToolError(
      `${first}\n→ the page is gone (closed, or the environment's browser was reset or restarted): ` +
        "open it again with browser_navigate",
      { cause: error },
    );
  }
  if (/\bnet::ERR_|NS_ERROR_/.test(first)) {
    return new BrowserToolError(
      `${first}\n→ the page did not load: check that the app is running (get_environment) and what it logged (get_logs)`,
      { cause: error },
    );
  }
  if (/strict mode violation/.test(first)) {
    return new BrowserToolError(
      `${first}\n→ the selector matches several elements: use a ref from browser_snapshot, or a narrower selector`,
      { cause: error },
    );
  }
  if (/^(page|locator|frame|elementHandle)\.evaluate:/.test(first)) {
    return new BrowserToolError(`the script failed: ${first.replace(/^[a-zA-Z]+\.evaluate: /, "")}`, {
      cause: error,
    });
  }
  return new BrowserToolError(`${first}${log}`, { cause: error });
}

// Playwright colours its call log for terminals.
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

function splitMessage(message: string): { first: string; log: string } {
  const lines = message.replace(ansi, "").split("\n");
  const logStart = lines.findIndex((line) => line.trim() === "Call log:");
  const log =
    logStart < 0
      ? []
      : lines
          .slice(logStart + 1)
          .map((line) => line.trim().replace(/^- /, ""))
          .filter(Boolean)
          .slice(-3);
  return { first: lines[0]!.trim(), log: log.length > 0 ? `\n  ${log.join("\n  ")}` : "" };
}
