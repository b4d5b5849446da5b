/** The CDP bridge and screenshot part of /openapi.json; the request schema is the route's own zod schema. */
import { screenshotRequestSchema } from "../../devtools-bridge/screenshots/screenshot-request.ts";
import { idParam, json, pathParam, problem, ref } from "./openapi-parts.ts";
import type { ComponentSchemas, Json, PathItems } from "./openapi-parts.ts";

const anyObject = { type: "object" };
const targetParam = pathParam("target");
const tokenParam = {
  name: "token",
  in: "query",
  description: "PREVIEWD_TOKEN, for CDP clients that cannot send a header",
  schema: { type: "string" },
};
const errors = {
  "401": problem("missing or wrong token"),
  "404": problem("no such environment"),
  "429": problem("every browser slot is busy; see Retry-After"),
  "503": problem("no Chromium to run"),
};

const screenshot: Json = {
  type: "object",
  required: ["id", "url", "pageUrl", "width", "height", "consoleErrors", "createdAt"],
  properties: {
    id: { type: "string" },
    url: { type: "string", description: "where the PNG is served" },
    pageUrl: { type: "string", description: "the page captured" },
    width: { type: "integer" },
    height: { type: "integer" },
    consoleErrors: { type: "array", items: { type: "string" } },
    createdAt: { type: "string" },
  },
};

const resetResult: Json = {
  type: "object",
  required: ["closedPages", "disconnectedClients", "wasRunning"],
  properties: {
    closedPages: {
      type: "array",
      description: "the pages that were open",
      items: {
        type: "object",
        required: ["id", "url"],
        properties: { id: { type: "string" }, url: { type: "string" } },
      },
    },
    disconnectedClients: { type: "integer", description: "DevTools connections that were open" },
    wasRunning: { type: "boolean", description: "false: no browser ran, there was nothing to clear" },
  },
};

export const devtoolsComponents: ComponentSchemas = {
  ScreenshotRequest: { schema: screenshotRequestSchema, io: "input" },
};

const cdp = (summary: string, method = "get", parameters: Json[] = []): Record<string, Json> => ({
  [method]: {
    summary,
    parameters: [idParam, ...parameters, tokenParam],
    responses: { "200": json(anyObject, "Chromium's answer, with URLs pointing at the bridge"), ...errors },
  },
});

export const devtoolsPaths: PathItems = {
  "/v1/environments/{id}/screenshots": {
    post: {
      summary:
        "Open a page of the environment in its browser and capture a PNG; or, with an image/png body, store a PNG a client captured",
      parameters: [
        idParam,
        {
          name: "pageUrl",
          in: "query",
          description: "with an image/png body: the page it shows",
          schema: { type: "string" },
        },
      ],
      requestBody: {
        content: {
          "application/json": { schema: ref("ScreenshotRequest") },
          "image/png": { schema: { type: "string", format: "binary" } },
        },
      },
      responses: {
        "201": json(screenshot, "captured"),
        "400": problem("invalid request"),
        "502": problem("the page did not load"),
        "504": problem("the page did not load (or match waitFor) in time"),
        ...errors,
      },
    },
    get: {
      summary: "The environment's screenshots",
      parameters: [idParam],
      responses: { "200": json({ type: "array", items: screenshot }, "oldest first"), ...errors },
    },
  },
  "/v1/environments/{id}/screenshots/{sid}.png": {
    get: {
      summary: "A screenshot's PNG",
      parameters: [idParam, pathParam("sid")],
      responses: { "200": { description: "the PNG", content: { "image/png": {} } }, ...errors },
    },
  },
  "/v1/environments/{id}/devtools/json/version": cdp("Browser version; starts the browser if need be"),
  "/v1/environments/{id}/devtools/json/list": cdp(
    "The browser's pages (never its own UI targets, workers or the bridge's screenshot windows)",
  ),
  "/v1/environments/{id}/devtools/json/protocol": cdp("The DevTools protocol description"),
  "/v1/environments/{id}/devtools/json/new": cdp("Open a new tab (`?<url>`)", "put"),
  "/v1/environments/{id}/devtools/json/activate/{target}": cdp("Bring a target to front", "get", [
    targetParam,
  ]),
  "/v1/environments/{id}/devtools/json/close/{target}": cdp("Close a target", "get", [targetParam]),
  "/v1/environments/{id}/devtools/reset": {
    post: {
      summary:
        "Close every page of the environment's browser and clear its cookies, storage and history " +
        "(the browser stops; the next use starts a fresh one behind the same URLs, browserUrl included). " +
        "Clients still connected are disconnected.",
      parameters: [idParam, tokenParam],
      responses: { "200": json(resetResult, "what was closed"), ...errors },
    },
  },
  "/json/protocol": {
    get: {
      summary: "The DevTools protocol description, where chrome-remote-interface looks for it",
      security: [],
      responses: { "200": json(anyObject, "the protocol") },
    },
  },
};
