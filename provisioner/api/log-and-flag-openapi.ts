/** OpenAPI paths of the logs, flags and OFREP routes, spread into openapi.ts's `paths`. */
import { z } from "zod";
import { flagValueSchema } from "../environments/environment-schema.ts";
import { patchFlagsRequestSchema, putFlagRequestSchema } from "./flag-routes.ts";
import { MAX_GREP_LENGTH } from "../logs/grep-pattern.ts";
import { DEFAULT_FOLLOW_MS, DEFAULT_TAIL, MAX_TAIL } from "./log-query.ts";
import { idParam, json, jsonSchema, pathParam, problem } from "./openapi-parts.ts";
import type { Json, PathItems } from "./openapi-parts.ts";

const query = (name: string, description: string, type: Json = { type: "string" }) => ({
  name,
  in: "query",
  description,
  schema: type,
});

const logLine = jsonSchema(
  z.object({
    ts: z.string(),
    app: z.string(),
    stream: z.enum(["stdout", "stderr", "system", "browser"]),
    line: z.string(),
  }),
);
const flagDetails = jsonSchema(
  z.object({
    type: z.enum(["boolean", "string", "number"]),
    value: flagValueSchema,
    default: flagValueSchema,
    description: z.string().optional(),
  }),
);
const flagMap = { type: "object", additionalProperties: flagDetails };
const ofrepSuccess = {
  type: "object",
  required: ["key", "value"],
  properties: {
    key: { type: "string" },
    value: { type: ["boolean", "string", "number"] },
    reason: { enum: ["STATIC", "DEFAULT"] },
    variant: { enum: ["override", "default"] },
    metadata: { type: "object" },
  },
};
const ofrepFailure = {
  type: "object",
  required: ["errorCode"],
  properties: {
    key: { type: "string" },
    errorCode: { enum: ["PARSE_ERROR", "INVALID_CONTEXT", "FLAG_NOT_FOUND", "GENERAL"] },
    errorDetails: { type: "string" },
  },
};
const ofrepRequest = {
  content: {
    "application/json": { schema: { type: "object", properties: { context: { type: "object" } } } },
  },
};
const errors = {
  "400": problem("invalid request"),
  "401": problem("missing or wrong bearer token"),
  "404": problem("no such environment or flag"),
};
const ofrepAuth = [{ bearer: [] }];

export const logAndFlagPaths: PathItems = {
  "/v1/environments/{id}/logs": {
    get: {
      summary:
        "Log lines of the environment's apps, services, previewd and browser; NDJSON, or SSE with follow=true",
      parameters: [
        idParam,
        query("app", "app or service name, `previewd` or `browser`; repeatable or comma-separated"),
        query("stream", "stdout, stderr, system or browser; repeatable or comma-separated"),
        query("since", 'RFC 3339 time or a duration back from now ("5m")'),
        query("until", 'RFC 3339 time or a duration back from now ("5m")'),
        query("tail", `the last N matching lines (default ${DEFAULT_TAIL}, at most ${MAX_TAIL})`, {
          type: "integer",
          minimum: 0,
        }),
        query(
          "grep",
          "substring, or a regular expression written /…/flags (flags i, m, s) in RE2 syntax: linear time, so no backreferences or lookaround (400)",
          { type: "string", maxLength: MAX_GREP_LENGTH },
        ),
        query("follow", "true: Server-Sent Events, the tail then live lines; resumes after Last-Event-ID", {
          enum: ["true", "false", "1", "0"],
        }),
        query(
          "maxDuration",
          `how long a follow lasts before the stream ends (default ${DEFAULT_FOLLOW_MS / 60_000}m, at most 24h)`,
        ),
        {
          name: "Last-Event-ID",
          in: "header",
          schema: { type: "string" },
          description: "resume a follow after this line id",
        },
      ],
      responses: {
        "200": {
          description: "one JSON object per line; with follow=true each SSE `data:` is one, with its id",
          content: { "application/x-ndjson": { schema: logLine }, "text/event-stream": { schema: logLine } },
        },
        ...errors,
      },
    },
  },
  "/v1/environments/{id}/flags": {
    get: {
      summary: "The environment's flags: type, current value, default and description of each",
      parameters: [idParam],
      responses: { "200": json(flagMap, "every declared flag"), ...errors },
    },
    patch: {
      summary: "Set several flags; takes effect for the next evaluation, with no restart",
      parameters: [idParam],
      requestBody: {
        required: true,
        content: { "application/json": { schema: jsonSchema(patchFlagsRequestSchema, "input") } },
      },
      responses: { "200": json(flagMap, "every declared flag, after the change"), ...errors },
    },
  },
  "/v1/environments/{id}/flags/{key}": {
    put: {
      summary: "Set one flag",
      parameters: [idParam, pathParam("key")],
      requestBody: {
        required: true,
        content: { "application/json": { schema: jsonSchema(putFlagRequestSchema, "input") } },
      },
      responses: { "200": json(flagDetails, "the flag, after the change"), ...errors },
    },
  },
  "/v1/environments/{id}/ofrep/v1/evaluate/flags/{key}": {
    post: {
      summary: "OFREP single flag evaluation (accepts the environment's PREVIEW_FLAGS_TOKEN)",
      security: ofrepAuth,
      parameters: [idParam, pathParam("key")],
      requestBody: ofrepRequest,
      responses: {
        "200": json(ofrepSuccess, "the value, with reason and variant"),
        "400": json(ofrepFailure, "PARSE_ERROR or INVALID_CONTEXT"),
        "401": json(ofrepFailure, "missing or wrong bearer token: GENERAL, naming the token wanted"),
        "404": json(ofrepFailure, "FLAG_NOT_FOUND; GENERAL naming the right base URL under a wrong one"),
      },
    },
  },
  "/v1/environments/{id}/ofrep/v1/evaluate/flags": {
    post: {
      summary:
        "OFREP bulk evaluation; honours If-None-Match; `eventStreams` names the change notification stream",
      security: ofrepAuth,
      parameters: [idParam, { name: "If-None-Match", in: "header", schema: { type: "string" } }],
      requestBody: ofrepRequest,
      responses: {
        "200": json(
          {
            type: "object",
            properties: { flags: { type: "array", items: ofrepSuccess }, eventStreams: { type: "array" } },
          },
          "every flag; the ETag header validates it",
        ),
        "304": { description: "not modified since the ETag sent in If-None-Match" },
        "400": json(ofrepFailure, "PARSE_ERROR or INVALID_CONTEXT"),
        "401": json(ofrepFailure, "missing or wrong bearer token: GENERAL, naming the token wanted"),
      },
    },
  },
  "/v1/environments/{id}/ofrep/v1/events": {
    get: {
      summary:
        'OFREP change notifications (SSE): `{"type": "refetchEvaluation", "etag", "lastModified"}` on every change',
      security: ofrepAuth,
      parameters: [idParam],
      responses: {
        "200": { description: "an event stream", content: { "text/event-stream": {} } },
        ...errors,
      },
    },
  },
  "/v1/environments/{id}/ofrep/v1/configuration": {
    get: {
      summary: "OFREP provider configuration",
      security: ofrepAuth,
      parameters: [idParam],
      responses: { "200": json({ type: "object" }, "capabilities"), ...errors },
    },
  },
};
