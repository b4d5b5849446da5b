/**
 * OFREP's own error shape (`{key?, errorCode, errorDetails}`), which OpenFeature's OFREP
 * providers turn into the evaluation's error message, for the two mistakes apps make most:
 * a base URL that is not the environment's (the provider appends `/ofrep/v1/…` to whatever it
 * was given) and a missing or wrong token. The server provider surfaces an evaluation answer's
 * `errorDetails` (on 400, 404 and 500); on 401 it reports no message at all, but the body and
 * `WWW-Authenticate` still say what was wrong to anyone who looks at the response.
 */
import type { Request, RequestHandler } from "express";
import { UnauthorizedError } from "../errors.ts";

/** `<prefix>/ofrep/v1/<endpoint>`, the prefix being the base URL's path the provider was given. */
const ofrepRequest = /^(.*)\/ofrep\/v1\/(evaluate\/flags(?:\/([^/]+))?|configuration|events)\/?$/;
const environmentPrefix = /^\/v1\/environments\/([^/]+)(?:\/|$)/;

/**
 * Mounted at the root, before the API: an OFREP request under any base URL but an environment's
 * (`…/<id>/ofrep`, `…/<id>/flags`, previewd's bare origin…) gets a 404 naming the right one.
 */
export function ofrepWrongBase(): RequestHandler {
  return (req, res, next) => {
    const match = ofrepRequest.exec(req.path);
    if (!match) return next();
    const [, prefix = "", endpoint = "", key] = match;
    const id = environmentPrefix.exec(prefix)?.[1];
    // The environment's own base: its routes (or its 404s) answer.
    if (id !== undefined && prefix === `/v1/environments/${id}`) return next();
    const origin = originOf(req);
    const expected = `${origin}/v1/environments/${id ?? "<id>"}`;
    const given = `${origin}${prefix}`;
    const errorDetails =
      `no OFREP endpoint at ${req.path}: the OFREP base URL was given as ${given}, ` +
      `but an environment's is ${expected} (its flagsUrl; PREVIEW_FLAGS_URL for its apps), ` +
      `to which the provider appends /ofrep/v1/${endpoint}`;
    res
      .status(404)
      .json({ ...(key !== undefined && { key: safeDecode(key) }), errorCode: "GENERAL", errorDetails });
  };
}

/** Wraps the token check of the OFREP routes: a refusal says, in OFREP's shape, which token it wants. */
export function ofrepTokenCheck(check: RequestHandler): RequestHandler {
  return (req, res, next) =>
    check(req, res, (error?: unknown) => {
      if (!(error instanceof UnauthorizedError)) return next(error);
      const id = String(req.params.id);
      const sent = req.get("authorization") !== undefined;
      const errorDetails =
        `${sent ? "wrong bearer token" : "no bearer token"} for environment ${id}'s flags: send ` +
        "Authorization: Bearer <token> with the environment's PREVIEW_FLAGS_TOKEN (its apps have it) or " +
        'PREVIEWD_TOKEN, e.g. new OFREPProvider({baseUrl, headers: [["Authorization", `Bearer ${process.env.PREVIEW_FLAGS_TOKEN}`]]})';
      // Mounted under `…/:id/ofrep`: the path is what follows.
      const key = /^\/v1\/evaluate\/flags\/([^/]+)$/.exec(req.path)?.[1];
      res
        .status(401)
        .json({ ...(key !== undefined && { key: safeDecode(key) }), errorCode: "GENERAL", errorDetails });
    });
}

function originOf(req: Request): string {
  return `${req.protocol}://${req.get("host") ?? "127.0.0.1"}`;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
