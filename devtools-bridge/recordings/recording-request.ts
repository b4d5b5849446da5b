/** `POST /v1/environments/:id/recordings`: the request (its zod schema is also the OpenAPI schema). */
import { z } from "zod";

export const recordingRequestSchema = z.strictObject({
  targetId: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("the page to record, as `/json/list` names it; default: the page navigated last"),
});
export type RecordingRequest = z.infer<typeof recordingRequestSchema>;
