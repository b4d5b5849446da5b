/**
 * OpenFeature Remote Evaluation Protocol for each environment, under
 * `/v1/environments/:id/ofrep/v1/…` (so `PREVIEW_FLAGS_URL` is an OFREP base URL):
 * single and bulk evaluation (bulk with ETag / If-None-Match), change notifications over SSE
 * (`refetchEvaluation`, announced in the bulk answer's `eventStreams`), and the configuration.
 *
 * Mounted before the API's own auth and JSON parsing: it accepts the main token or the
 * environment's flags token, answers CORS preflights from the environment's preview origins, and
 * reports errors in OFREP's shape rather than as problem+json.
 */
import express, { Router, type Request, type RequestHandler, type Response } from "express";
import { NotFoundError } from "../errors.ts";
import type { EnvironmentFlags, FlagSource } from "../flags/flag-source.ts";
import {
  etagOf,
  evaluateAll,
  evaluateFlag,
  ifNoneMatchHits,
  parseOfrepRequest,
  type OfrepBulkSuccess,
} from "../flags/ofrep-evaluation.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { flagsToken } from "../flags/flags-token.ts";
import { requireToken } from "./auth.ts";
import { ofrepTokenCheck } from "./ofrep-errors.ts";
import { openEventStream } from "./sse.ts";

export interface OfrepRouteOptions {
  token?: string;
  /** Interval of SSE heartbeat comments; default 15s. */
  heartbeatMs?: number;
  /** Subscribes to deletions; an environment's change streams end once it is deleted. */
  onDeleted?: (listener: (id: string) => void) => () => void;
}

const base = "/environments/:id/ofrep";
const inactivityDelaySec = 120;

/** `orchestrator` knows each environment's preview origins, which CORS allows. */
export function ofrepRoutes(
  flags: FlagSource,
  orchestrator: Pick<Orchestrator, "get">,
  { token, heartbeatMs = 15_000, onDeleted }: OfrepRouteOptions = {},
): Router {
  const router = Router();
  router.use(base, cors(orchestrator));
  router.use(
    base,
    ofrepTokenCheck(
      requireToken(token, { alsoAccept: (req) => token && flagsToken(token, String(req.params.id)) }),
    ),
  );
  router.use(base, express.text({ type: () => true, limit: "64kb" }));

  router.post(`${base}/v1/evaluate/flags/:key`, (req, res) => {
    const { id, key } = req.params;
    const parsed = parseOfrepRequest(bodyText(req));
    if (!parsed.ok) return void res.status(400).json({ key, ...parsed.failure });
    const current = read(flags, id);
    if (!current)
      return void res.status(404).json({ key, errorCode: "FLAG_NOT_FOUND", errorDetails: noEnvironment(id) });
    const result = evaluateFlag(current, key);
    res.status("errorCode" in result ? 404 : 200).json(result);
  });

  router.post(`${base}/v1/evaluate/flags`, (req, res) => {
    const { id } = req.params;
    const parsed = parseOfrepRequest(bodyText(req));
    if (!parsed.ok) return void res.status(400).json(parsed.failure);
    const current = read(flags, id);
    if (!current) return void res.status(404).json({ errorCode: "GENERAL", errorDetails: noEnvironment(id) });
    const body = bulkBody(current, id);
    const etag = etagOf(body);
    res.set({ ETag: etag, "Cache-Control": "no-cache" });
    if (ifNoneMatchHits(req.get("if-none-match"), etag)) return void res.status(304).end();
    res.status(200).json(body);
  });

  router.get(`${base}/v1/events`, (req, res) => {
    const { id } = req.params;
    if (!read(flags, id)) throw new NotFoundError(noEnvironment(id));
    const stream = openEventStream(req, res, { heartbeatMs });
    const version = () => etagOf(bulkBody(flags.read(id), id));
    const notify = () => {
      const etag = version();
      stream.send(
        { type: "refetchEvaluation", etag, lastModified: Math.floor(Date.now() / 1000) },
        etag.slice(1, -1),
      );
    };
    // A client that reconnects after missing a change hears about it at once.
    const lastSeen = req.get("last-event-id");
    if (lastSeen !== undefined && `"${lastSeen}"` !== version()) notify();
    stream.onClose(flags.subscribe(id, notify));
    // No change will ever come: end the stream rather than keep the provider waiting on it.
    if (onDeleted) stream.onClose(onDeleted((gone) => gone === id && stream.close()));
  });

  router.get(`${base}/v1/configuration`, (req, res) => {
    if (!read(flags, req.params.id)) throw new NotFoundError(noEnvironment(req.params.id));
    res.json({
      name: "previewd",
      capabilities: {
        cacheInvalidation: { polling: { enabled: true, minPollingIntervalMs: 1000 } },
        flagEvaluation: { supportedTypes: ["boolean", "string", "int", "float"] },
      },
    });
  });

  return router;
}

/** The bulk answer; its SSE endpoint is a path on the provider's own origin, so a same-origin proxy works too. */
function bulkBody(current: EnvironmentFlags, id: string): OfrepBulkSuccess {
  const requestUri = `/v1/environments/${encodeURIComponent(id)}/ofrep/v1/events`;
  return evaluateAll(current, [{ type: "sse", endpoint: { requestUri }, inactivityDelaySec }], id);
}

function read(flags: FlagSource, id: string): EnvironmentFlags | undefined {
  try {
    return flags.read(id);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

function noEnvironment(id: string): string {
  return `no environment ${JSON.stringify(id)}`;
}

function bodyText(req: Request): string {
  return typeof req.body === "string" ? req.body : "";
}

/** Lets the environment's own preview pages (e.g. `http://web--<id>.localhost:7070`) call these routes. */
function cors(orchestrator: Pick<Orchestrator, "get">): RequestHandler {
  return (req: Request, res: Response, next) => {
    res.vary("Origin");
    const origin = req.get("origin");
    const allowed =
      origin !== undefined && previewOrigins(orchestrator, String(req.params.id)).includes(origin);
    if (allowed) res.set({ "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "ETag" });
    if (req.method !== "OPTIONS") return next();
    if (allowed) {
      res.set({
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, If-None-Match, Last-Event-ID",
        "Access-Control-Max-Age": "600",
      });
    }
    res.status(204).end();
  };
}

/**
 * For the request guard (SPEC's one exception to the Origin check): an OFREP path accepts requests
 * from its own environment's preview pages, and only those.
 */
export function ofrepPreviewOrigins(orchestrator: Pick<Orchestrator, "get">): (path: string) => string[] {
  const ofrepPath = /^\/v1\/environments\/([^/]+)\/ofrep\//;
  return (path) => {
    const id = ofrepPath.exec(path)?.[1];
    return id === undefined ? [] : previewOrigins(orchestrator, safeDecode(id));
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function previewOrigins(orchestrator: Pick<Orchestrator, "get">, id: string): string[] {
  try {
    return Object.values(orchestrator.get(id).apps).map((app) => new URL(app.url).origin);
  } catch {
    return [];
  }
}
