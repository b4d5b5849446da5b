/** The recording routes' request (its zod schema is also the OpenAPI schema) and answers. */
import { z } from "zod";
import type { RecordingResult } from "./recording.ts";

export const recordingRequestSchema = z.strictObject({
  targetId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("the page to record, as `/json/list` names it; default: the page navigated last"),
});
export type RecordingRequest = z.infer<typeof recordingRequestSchema>;

/** What `POST …/recordings` answers (201). */
export interface StartedRecordingView {
  id: string;
  status: "recording";
  targetId: string;
  pageUrl: string;
  startedAt: string;
  /** POST here to stop it. */
  stopUrl: string;
}

/** What `POST …/recordings/:rid/stop` answers: the result and where the WebM is served. */
export type StoppedRecordingView = RecordingResult & { url: string };
