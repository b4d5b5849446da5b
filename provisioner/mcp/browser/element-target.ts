/**
 * The element a tool acts on: a ref from the latest snapshot (`e12`, `f1e3` inside a frame) or
 * a CSS selector. A ref the page no longer has is an error at once (Playwright would wait for it
 * until its timeout), telling the agent to take a new snapshot.
 */
import type { Locator, Page } from "playwright-core";
import { z } from "zod";
import { BrowserToolError } from "./browser-errors.ts";

export const elementTargetShape = {
  ref: z
    .string()
    .regex(/^(f\d+)?e\d+$/, 'expected a ref from browser_snapshot, e.g. "e12"')
    .optional()
    .describe('the element\'s ref in the latest browser_snapshot, e.g. "e12"'),
  selector: z.string().min(1).max(2000).optional().describe("a CSS selector, instead of a ref"),
};

export interface ElementTarget {
  ref?: string | undefined;
  selector?: string | undefined;
}

export async function elementFor(page: Page, target: ElementTarget): Promise<Locator> {
  if ((target.ref === undefined) === (target.selector === undefined)) {
    throw new BrowserToolError(
      "name the element with ref (from browser_snapshot) or selector (CSS), exactly one of them",
    );
  }
  if (target.selector !== undefined) return page.locator(target.selector);
  const locator = page.getByRef(target.ref!);
  if ((await locator.count()) === 0) {
    throw new BrowserToolError(
      `no element for ref ${target.ref} on ${page.url()}: the page changed since that snapshot; ` +
        "take a new snapshot (browser_snapshot) and use a ref from it",
    );
  }
  return locator;
}

/** How the element is named in a tool's answer. */
export function describeTarget(target: ElementTarget): string {
  return target.ref !== undefined ? `ref ${target.ref}` : `selector ${JSON.stringify(target.selector)}`;
}
