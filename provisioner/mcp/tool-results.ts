/** Shapes of MCP tool results: JSON as text, a PNG as image content, and a failed call as `isError`. */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { isPreviewdError } from "../errors.ts";
import { formatError } from "../cli/print-error.ts";

export function jsonResult(value: unknown, summary?: string): CallToolResult {
  const text = JSON.stringify(value, null, 2);
  return { content: [{ type: "text", text: summary ? `${summary}\n\n${text}` : text }] };
}

export function textResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }] };
}

export function pngResult(png: Buffer, meta: unknown): CallToolResult {
  return {
    content: [
      { type: "image", data: png.toString("base64"), mimeType: "image/png" },
      { type: "text", text: JSON.stringify(meta, null, 2) },
    ],
  };
}

/**
 * A problem from previewd (bad input, unknown environment, failed provisioning) is a tool error
 * the agent can read and act on, with the field errors and log tail the CLI would print.
 */
export async function asToolResult(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work();
  } catch (error) {
    if (!isPreviewdError(error)) throw error;
    return { isError: true, content: [{ type: "text", text: formatError(error).join("\n") }] };
  }
}
