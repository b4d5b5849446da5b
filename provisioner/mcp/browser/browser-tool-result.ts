/** A browser tool's work as a tool result: Playwright's errors become tool errors that say what to do next. */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { asToolResult } from "../tool-results.ts";
import { explainBrowserError } from "./browser-errors.ts";

export const envIdShape = {
  id: z.string().min(1).describe("the environment's id (its browser is the one driven)"),
};

export function asBrowserToolResult(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  return asToolResult(async () => {
    try {
      return await work();
    } catch (error) {
      throw explainBrowserError(error);
    }
  });
}
