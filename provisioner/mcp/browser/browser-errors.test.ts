import { errors } from "playwright-core";
import { describe, expect, it } from "vitest";
import { NotFoundError } from "../../errors.ts";
import { BrowserToolError, explainBrowserError } from "./browser-errors.ts";

const esc = String.fromCharCode(27);

function explained(error: Error): string {
  const result = explainBrowserError(error);
  expect(result).toBeInstanceOf(BrowserToolError);
  return (result as BrowserToolError).message;
}

describe("browser tool errors", () => {
  it("keeps a timeout's first line and the end of its call log, and says what to try", () => {
    const timeout = new errors.TimeoutError(
      `locator.click: Timeout 10000ms exceeded.\nCall log:\n${esc}[2m  - waiting for getByRef('e3')${esc}[22m\n` +
        `  - element is visible, enabled and stable\n  - <div id="overlay"> intercepts pointer events\n`,
    );
    expect(explained(timeout)).toBe(
      "locator.click: Timeout 10000ms exceeded.\n  waiting for getByRef('e3')\n  element is visible, enabled and stable\n" +
        '  <div id="overlay"> intercepts pointer events\n' +
        "→ not in time: the element may be missing, hidden, disabled or covered, or the page still loading; " +
        "take a new snapshot (browser_snapshot) to see the page as it is now, then retry or browser_wait_for",
    );
  });

  it.each([
    ["page.goto: Target page, context or browser has been closed", "open it again with browser_navigate"],
    [
      "page.goto: net::ERR_CONNECTION_REFUSED at http://web--x.localhost:7070/",
      "check that the app is running",
    ],
    ["locator.click: Error: strict mode violation: locator('a') resolved to 8 elements", "use a ref"],
    ["locator.evaluate: ReferenceError: nope is not defined", "the script failed: ReferenceError"],
  ])("explains %s", (message, advice) => {
    expect(explained(new Error(message))).toContain(advice);
  });

  it("passes previewd's own errors and non-errors on unchanged", () => {
    const notFound = new NotFoundError('no environment "x"');
    expect(explainBrowserError(notFound)).toBe(notFound);
    expect(explainBrowserError("text")).toBe("text");
  });
});
