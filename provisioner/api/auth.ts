/** Bearer-token auth for /v1 when a token is configured. */
import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { UnauthorizedError } from "../errors.ts";

export function requireToken(token: string | undefined): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get("authorization") ?? "");
    // Comparing fixed-length digests keeps the comparison constant-time whatever the length sent.
    if (match?.[1] && timingSafeEqual(digest(match[1].trim()), expected)) return next();
    res.set("WWW-Authenticate", 'Bearer realm="previewd"');
    next(new UnauthorizedError("missing or wrong bearer token (set Authorization: Bearer <PREVIEWD_TOKEN>)"));
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
