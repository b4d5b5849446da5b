/**
 * start_recording and stop_recording: a video (WebM) of a page of an environment's browser while
 * the agent drives it, kept by previewd with a URL to share. By default the page this session's
 * browser tools act on; without one, the page navigated last in that browser.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { PreviewdClient } from "../../cli/client.ts";
import { jsonResult } from "../tool-results.ts";
import type { BrowserSessions } from "./browser-sessions.ts";
import { asBrowserToolResult, envIdShape } from "./browser-tool-result.ts";

export function registerRecordingTools(
  server: McpServer,
  client: PreviewdClient,
  sessions: BrowserSessions,
): void {
  server.registerTool(
    "start_recording",
    {
      title: "Start recording a video of a page",
      description:
        "Record a video of a page of the environment's browser while you drive it: by default the page the browser_* " +
        "tools act on in this session (else the page navigated last). Then drive the page and call stop_recording " +
        "with the recording's id, which answers the video's URL. The recording goes on if this session ends; " +
        "a page that closes ends it (the video stays valid).",
      inputSchema: {
        ...envIdShape,
        targetId: z
          .string()
          .min(1)
          .optional()
          .describe("a page's id from the devtools /json/list; default: this session's current page"),
      },
    },
    ({ id, targetId }) =>
      asBrowserToolResult(async () => {
        const target = targetId ?? (await currentPageTarget(sessions, id));
        const started = await client.startRecording(id, target === undefined ? {} : { targetId: target });
        return jsonResult(
          started,
          `recording ${started.id} of ${started.pageUrl}: drive the page, then stop_recording ` +
            `{"id": "${id}", "recording": "${started.id}"}`,
        );
      }),
  );

  server.registerTool(
    "stop_recording",
    {
      title: "Stop a recording",
      description:
        "Stop a recording start_recording began and get its video: the WebM's URL, its duration and frames. " +
        "A recording can be stopped once; a page that closed has ended it already, and stopping still answers it.",
      inputSchema: {
        ...envIdShape,
        recording: z.string().min(1).describe("the id start_recording answered"),
      },
    },
    ({ id, recording }) =>
      asBrowserToolResult(async () => {
        const stopped = await client.stopRecording(id, recording);
        return jsonResult(
          stopped,
          `video: ${stopped.url} (${(stopped.durationMs / 1000).toFixed(1)} s, ${stopped.frames} frames)`,
        );
      }),
  );
}

/** The target id of the page this session's tools act on, if it has one. */
async function currentPageTarget(sessions: BrowserSessions, envId: string): Promise<string | undefined> {
  const session = await sessions.existing(envId);
  const page = session?.tabs().find((tab) => session.isCurrent(tab));
  if (!page) return undefined;
  const cdp = await page.context().newCDPSession(page);
  try {
    const { targetInfo } = (await cdp.send("Target.getTargetInfo")) as { targetInfo: { targetId: string } };
    return targetInfo.targetId;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}
