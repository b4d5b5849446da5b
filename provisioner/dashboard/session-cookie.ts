/**
 * The dashboard's session cookie on the wire, and which /v1 requests it authenticates: only the
 * dashboard's own (same-origin; state-changing ones also carry `X-Previewd-Dashboard`, a header a
 * cross-site form cannot send), on top of SameSite=Strict and the request guard's Origin check.
 */
import type { CookieOptions, Request } from "express";
import type { DashboardSessions } from "./dashboard-sessions.ts";

export const SESSION_COOKIE = "previewd_dashboard";
export const DASHBOARD_HEADER = "x-previewd-dashboard";

const safeMethods = new Set(["GET", "HEAD", "OPTIONS"]);

/** The session id the request's Cookie header carries (the first, as browsers send the most specific first). */
export function sessionIdOf(req: Request): string | undefined {
  // A Cookie header is `name=value` pairs joined by "; " (RFC 6265 §4.2.1); values are ours, base64url.
  for (const pair of (req.get("cookie") ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at !== -1 && pair.slice(0, at).trim() === SESSION_COOKIE) return pair.slice(at + 1).trim();
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, Path=/; Secure when the browser reaches previewd over https. */
export function sessionCookieOptions(req: Request, publicUrl: string | undefined): CookieOptions {
  return { httpOnly: true, sameSite: "strict", path: "/", secure: overHttps(req, publicUrl) };
}

/** Whether the request is the signed-in dashboard's own (see the file's comment). */
export function isDashboardRequest(req: Request, sessions: DashboardSessions): boolean {
  if (!sessions.valid(sessionIdOf(req))) return false;
  // Fetch metadata, where the browser sends it: another site's request never rides on the cookie.
  const site = req.get("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && !(site === "none" && safeMethods.has(req.method)))
    return false;
  return safeMethods.has(req.method) || req.get(DASHBOARD_HEADER) !== undefined;
}

function overHttps(req: Request, publicUrl: string | undefined): boolean {
  if (req.secure || req.get("x-forwarded-proto") === "https") return true;
  if (!publicUrl) return false;
  const url = new URL(publicUrl);
  return url.protocol === "https:" && req.hostname === url.hostname;
}
