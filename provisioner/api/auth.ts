/** Bearer-token auth for /v1 when a token is configured. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler } from "express";
import { UnauthorizedError } from "../errors.ts";

export interface TokenOptions {
  /** A second token this request may carry instead (e.g. an environment's flags token on its OFREP routes). */
  alsoAccept?: (req: Request) => string | undefined;
  /** Accepts a request without the token, e.g. the signed-in dashboard's own (provisioner/dashboard/). */
  session?: (req: Request) => boolean;
}

export function requireToken(token: string | undefined, options: TokenOptions = {}): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get("authorization") ?? "");
    // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
    const sent = match?.[1] ? digest(match[1].trim()) : undefined;
    if (sent && timingSafeEqual(sent, expected)) return next();
    const other = sent && options.alsoAccept?.(req);
    if (sent && other && timingSafeEqual(sent, digest(other))) return next();
    if (devtoolsQueryToken(req, expected)) return next();
    if (options.session?.(req)) return next();
    res.set("WWW-Authenticate", 'Bearer realm="previewd"');
    next(new UnauthorizedError("missing or wrong bearer token (set Authorization: Bearer <PREVIEWD_TOKEN>)"));
  };
}

/** The CDP bridge also takes `?token=`: CDP clients can put a token in a URL, not always in a header. */
const devtoolsPath = /^\/environments\/[^/]+\/devtools(\/|$)/;

function devtoolsQueryToken(req: Request, expected: Buffer): boolean {
  const token = req.query.token;
  return devtoolsPath.test(req.path) && typeof token === "string" && timingSafeEqual(digest(token), expected);
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
