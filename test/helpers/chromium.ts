/**
 * Suites that drive a real Chromium skip when there is none, unless PREVIEWD_REQUIRE_ALL=1:
 * then they fail, so CI cannot pass by skipping.
 */
import { existsSync } from "node:fs";

export const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const chromiumMissing = !existsSync(chromiumPath);
/** Pass to `describe.skipIf`. */
export const skipWithoutChromium = chromiumMissing && process.env.PREVIEWD_REQUIRE_ALL !== "1";

/** Call in `beforeAll`: fails the suite when Chromium is required but missing. */
export function requireChromium(): void {
  if (chromiumMissing)
    throw new Error(`Chromium is required (PREVIEWD_REQUIRE_ALL=1) but ${chromiumPath} is missing`);
}
