/** The recordings part of /openapi.json; the request schema is the route's own zod schema. */
import { recordingRequestSchema } from "../../devtools-bridge/recordings/recording-request.ts";
import { idParam, json, pathParam, problem, ref } from "./openapi-parts.ts";
import type { ComponentSchemas, Json, PathItems } from "./openapi-parts.ts";

const ridParam = pathParam("rid");
const errors = {
  "401": problem("missing or wrong token"),
  "404": problem("no such environment or recording"),
};

const started: Json = {
  type: "object",
  required: ["id", "status", "targetId", "pageUrl", "startedAt", "stopUrl"],
  properties: {
    id: { type: "string" },
    status: { const: "recording" },
    targetId: { type: "string", description: "the page recorded, as /json/list names it" },
    pageUrl: { type: "string", description: "its URL when the recording started" },
    startedAt: { type: "string" },
    stopUrl: { type: "string", description: "POST here to stop it" },
  },
};

const stopped: Json = {
  type: "object",
  required: ["id", "url", "durationMs", "frames", "targetId", "pageUrl", "startedAt", "stoppedAt", "endedBy"],
  properties: {
    id: { type: "string" },
    url: { type: "string", description: "where the WebM is served" },
    durationMs: { type: "integer", description: "how long the video plays: the recording's real time" },
    frames: { type: "integer", description: "frames in the video (25 per second)" },
    width: { type: "integer" },
    height: { type: "integer" },
    targetId: { type: "string" },
    pageUrl: { type: "string" },
    startedAt: { type: "string" },
    stoppedAt: { type: "string" },
    endedBy: {
      enum: ["stop", "page-closed", "browser-gone", "time-limit", "previewd-stopped"],
      description:
        "the stop request, or what ended it before: the page closing, the browser going, 15 minutes",
    },
  },
};

export const recordingComponents: ComponentSchemas = {
  RecordingRequest: { schema: recordingRequestSchema, io: "input" },
};

export const recordingPaths: PathItems = {
  "/v1/environments/{id}/recordings": {
    post: {
      summary:
        "Start recording a video of a page of the environment's browser (a CDP screencast, encoded by ffmpeg)",
      description:
        "Records the page given by targetId, or the page navigated last. The recording runs on previewd's own " +
        "DevTools connection: it goes on when the client that asked disconnects, ends with a valid video when " +
        "the page closes, and is deleted with the environment.",
      parameters: [idParam],
      requestBody: { content: { "application/json": { schema: ref("RecordingRequest") } } },
      responses: {
        "201": json(started, "recording"),
        "400": problem("invalid request"),
        "409": problem("no page has been navigated yet (pass targetId), or too many recordings are running"),
        "503": problem("no ffmpeg on previewd's PATH (apt-get install ffmpeg); nothing was started"),
        ...errors,
      },
    },
  },
  "/v1/environments/{id}/recordings/{rid}/stop": {
    post: {
      summary: "Stop a recording and answer once its WebM is written",
      parameters: [idParam, ridParam],
      responses: {
        "200": json(stopped, "the video"),
        "409": problem("stopped already (the problem names the video's URL)"),
        "500": problem("ffmpeg could not write the video"),
        ...errors,
      },
    },
  },
  "/v1/environments/{id}/recordings/{rid}.webm": {
    get: {
      summary: "A stopped recording's video (VP8 in WebM; range requests work)",
      parameters: [idParam, ridParam],
      responses: {
        "200": { description: "the WebM", content: { "video/webm": {} } },
        "409": problem("still recording: stop it first"),
        ...errors,
      },
    },
  },
};
