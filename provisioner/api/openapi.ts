/**
 * The OpenAPI 3.1 document served at /openapi.json. Component schemas are generated from the zod
 * schemas the routes validate with, so the document cannot drift from the code.
 */
import {
  createEnvironmentRequestSchema,
  environmentEventSchema,
  environmentSchema,
  patchEnvironmentRequestSchema,
  problemSchema,
} from "../environments/environment-schema.ts";
import { DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS } from "./wait-query.ts";
import { scenarioComponents, scenarioPaths } from "./scenario-openapi.ts";
import { logAndFlagPaths } from "./log-and-flag-openapi.ts";
import { devtoolsComponents, devtoolsPaths } from "./devtools-openapi.ts";
import { recordingComponents, recordingPaths } from "./recording-openapi.ts";
import { githubComponents, githubPaths } from "./github-openapi.ts";
import { shareComponents, sharePaths } from "./share-openapi.ts";
import { idParam, json, jsonSchema, problem, ref } from "./openapi-parts.ts";
import type { ComponentSchemas, Json, PathItems } from "./openapi-parts.ts";

/** Schemas published under `#/components/schemas/<name>`; `io` picks the request or response shape. */
export const componentSchemas: ComponentSchemas = {
  CreateEnvironmentRequest: { schema: createEnvironmentRequestSchema, io: "input" },
  PatchEnvironmentRequest: { schema: patchEnvironmentRequestSchema, io: "input" },
  Environment: { schema: environmentSchema, io: "output" },
  EnvironmentEvent: { schema: environmentEventSchema, io: "output" },
  Problem: { schema: problemSchema, io: "output" },
  ...scenarioComponents,
  ...devtoolsComponents,
  ...recordingComponents,
  ...githubComponents,
  ...shareComponents,
};

const waitParams = [
  { name: "wait", in: "query", schema: { type: "string", enum: ["true", "false", "1", "0"] } },
  {
    name: "timeout",
    in: "query",
    description: `seconds to wait (default ${DEFAULT_WAIT_SECONDS})`,
    schema: { type: "integer", minimum: 1, maximum: MAX_WAIT_SECONDS },
  },
];
const errors = {
  "400": problem("invalid request"),
  "401": problem("missing or wrong bearer token"),
  "404": problem("no such environment"),
};

const paths: PathItems = {
  "/v1/environments": {
    post: {
      summary: "Create an environment, or return (and update) the one for the same repo, ref and dir",
      description:
        "With wait=true, answers once the provision or update it started is ready or failed; " +
        "on timeout, as without waiting, with the environment as it is then.",
      parameters: waitParams,
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("CreateEnvironmentRequest") } },
      },
      responses: {
        "201": json(ref("Environment"), "created"),
        "200": json(ref("Environment"), "already existed"),
        "422": problem("manifest or source error"),
        ...errors,
      },
    },
    get: {
      summary: "List environments",
      description:
        "With follow=true, Server-Sent Events: the list now, then again whenever it changes " +
        "(an environment created or deleted, a status, app health, flags, scenario or timings changed).",
      parameters: [
        { name: "follow", in: "query", schema: { type: "string", enum: ["true", "false", "1", "0"] } },
      ],
      responses: {
        "200": {
          description: "all environments; with follow=true, a text/event-stream of such lists",
          content: {
            "application/json": { schema: { type: "array", items: ref("Environment") } },
            "text/event-stream": { schema: { type: "string" } },
          },
        },
        ...errors,
      },
    },
  },
  "/v1/environments/{id}": {
    get: {
      summary: "Get one environment",
      description: "With wait=true, answers once every operation asked of it before has finished.",
      parameters: [idParam, ...waitParams],
      responses: { "200": json(ref("Environment"), "the environment"), ...errors },
    },
    patch: {
      summary: "Change an environment's time to live",
      parameters: [idParam],
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("PatchEnvironmentRequest") } },
      },
      responses: { "200": json(ref("Environment"), "the environment"), ...errors },
    },
    delete: {
      summary: "Stop and remove an environment",
      parameters: [idParam, ...waitParams],
      responses: {
        "202": json(ref("Environment"), "deletion started"),
        "204": { description: "deleted (with wait=true)" },
        "409": problem("already being deleted"),
        ...errors,
      },
    },
  },
  "/v1/environments/{id}/redeploy": {
    post: {
      summary: "Fetch the ref again and rebuild what changed",
      description: "With wait=true, answers 200 once the redeploy is ready or failed; 202 on timeout.",
      parameters: [idParam, ...waitParams],
      responses: {
        "200": json(ref("Environment"), "redeployed: ready or failed (with wait=true)"),
        "202": json(ref("Environment"), "redeploy started (or still running when the wait timed out)"),
        "409": problem("being deleted"),
        ...errors,
      },
    },
  },
  "/v1/environments/{id}/events": {
    get: {
      summary: "Provisioning events as Server-Sent Events (replay, then live)",
      parameters: [idParam],
      responses: {
        "200": {
          description: "an event stream; each `data:` line is an EnvironmentEvent",
          content: { "text/event-stream": { schema: ref("EnvironmentEvent") } },
        },
        ...errors,
      },
    },
  },
  ...scenarioPaths,
  ...logAndFlagPaths,
  ...devtoolsPaths,
  ...recordingPaths,
  ...githubPaths,
  ...sharePaths,
  "/healthz": {
    get: {
      summary: "Liveness",
      security: [],
      responses: { "200": json({ type: "object", properties: { status: { const: "ok" } } }, "alive") },
    },
  },
  "/mcp": Object.fromEntries(
    (["post", "get", "delete"] as const).map((method) => [
      method,
      {
        summary:
          "MCP over streamable HTTP (initialize with POST; Mcp-Session-Id after that; GET streams, DELETE ends a session)",
        responses: {
          "200": { description: "JSON-RPC, as JSON or an event stream" },
          "400": { description: "no session: start one with an initialize POST" },
          "401": problem("missing or wrong bearer token"),
          "404": { description: "no such session (ended, idle too long, or previewd restarted)" },
        },
      },
    ]),
  ),
  "/openapi.json": {
    get: { summary: "This document", security: [], responses: { "200": { description: "OpenAPI 3.1" } } },
  },
  "/metrics": {
    get: {
      summary: "Prometheus metrics (environments, provisioning phases, API, proxy, log lines)",
      security: [],
      responses: {
        "200": {
          description: "Prometheus text format",
          content: { "text/plain": { schema: { type: "string" } } },
        },
      },
    },
  },
};

export function buildOpenApiDocument(options: { version: string }): Json {
  const schemas = Object.fromEntries(
    Object.entries(componentSchemas).map(([name, { schema, io }]) => [name, jsonSchema(schema, io)]),
  );
  return {
    openapi: "3.1.0",
    info: { title: "previewd", version: options.version },
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    },
    security: [{ bearer: [] }],
  };
}
