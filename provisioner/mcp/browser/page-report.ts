/**
 * What the browser tools answer about a page: its URL and title, console errors worth a look,
 * and its accessibility snapshot (Playwright's "ai" mode: roles, names and `[ref=eN]` refs the
 * other tools take). A snapshot is cut at a size an agent's context can hold.
 */
import type { Page } from "playwright-core";

export const MAX_SNAPSHOT_CHARS = 40_000;

export async function pageHeader(page: Page): Promise<string> {
  const title = await page.title().catch(() => "");
  const errors = (await page.consoleMessages({ filter: "since-navigation" }).catch(() => [])).filter(
    (message) => message.type() === "error",
  ).length;
  const lines = [`Page: ${page.url()}${title ? ` — ${JSON.stringify(title)}` : ""}`];
  if (errors > 0)
    lines.push(`${errors} console error${errors === 1 ? "" : "s"} on this page (browser_console_messages)`);
  return lines.join("\n");
}

export async function snapshotText(page: Page): Promise<string> {
  const snapshot = await page.ariaSnapshot({ mode: "ai" });
  const cut =
    snapshot.length > MAX_SNAPSHOT_CHARS
      ? `${snapshot.slice(0, MAX_SNAPSHOT_CHARS)}\n# … cut at ${MAX_SNAPSHOT_CHARS} characters of ${snapshot.length}`
      : snapshot;
  return `Snapshot (click, type and the other tools take its refs):\n\`\`\`yaml\n${cut}\n\`\`\``;
}

/** The answer to an action: what was done, then the page as it is now. */
export async function afterAction(page: Page, done: string): Promise<string> {
  return [done, await pageHeader(page), await snapshotText(page)].join("\n");
}
