/**
 * The dashboard (SPEC "Dashboard"): `GET /` serves the page, or with a token set and no session
 * the form asking for it; `POST /dashboard/session` checks the token and sets the session cookie;
 * `DELETE /dashboard/session` signs out; `/dashboard/assets/` serves the page's modules and styles.
 * The page then talks to /v1 like any client, its cookie standing in for the bearer token.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import path from "node:path";
import express, { Router } from "express";
import { packageRoot } from "../cli/package-info.ts";
import type { DashboardSessions } from "./dashboard-sessions.ts";
import { loginPage } from "./login-page.ts";
import {
  DASHBOARD_HEADER,
  isDashboardRequest,
  SESSION_COOKIE,
  sessionCookieOptions,
  sessionIdOf,
} from "./session-cookie.ts";

export interface DashboardOptions {
  /** PREVIEWD_TOKEN: when set, the page asks for it once. */
  token?: string;
  sessions: DashboardSessions;
  /** PREVIEWD_PUBLIC_URL: the cookie is Secure when it is https and the page is served under it. */
  publicUrl?: string;
}

/** Static files, served from the package (source and compiled previewd alike): no build step. */
export const assetsDir = path.join(packageRoot, "provisioner/dashboard/public");

// The page loads only its own files and talks only to previewd; no other site may frame it.
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function dashboardRoutes({ token, sessions, publicUrl }: DashboardOptions): Router {
  const router = Router();
  const expected = token === undefined ? undefined : digest(token);
  const signedIn = (req: express.Request) => !token || sessions.valid(sessionIdOf(req));

  router.get("/", (req, res) => {
    protect(res);
    const named = token ? byName(req) : undefined;
    if (named) return void res.redirect(302, named);
    if (!signedIn(req)) return void res.status(200).type("html").send(loginPage());
    res.sendFile(path.join(assetsDir, "index.html"));
  });

  router.get("/dashboard/session", (req, res) => {
    res.set("Cache-Control", "no-store").json({ tokenRequired: Boolean(token), signedIn: signedIn(req) });
  });

  router.post(
    "/dashboard/session",
    express.urlencoded({ extended: false, limit: "8kb", parameterLimit: 10 }),
    (req, res) => {
      protect(res);
      if (!expected) return void res.redirect(303, "/");
      const named = byName(req);
      if (named) return void res.redirect(303, named);
      const sent = (req.body as Record<string, unknown> | undefined)?.token;
      if (typeof sent !== "string" || !timingSafeEqual(digest(sent.trim()), expected)) {
        return void res
          .status(401)
          .type("html")
          .send(loginPage({ error: "That is not this previewd's token." }));
      }
      const session = sessions.open();
      res.cookie(SESSION_COOKIE, session.id, {
        ...sessionCookieOptions(req, publicUrl),
        expires: session.expiresAt,
      });
      // Only ever a path of our own: never a target taken from the request.
      res.redirect(303, "/");
    },
  );

  router.delete("/dashboard/session", (req, res) => {
    // Signing out is state-changing too: only the page itself may ask.
    if (token && req.get(DASHBOARD_HEADER) !== undefined && isDashboardRequest(req, sessions))
      sessions.close(sessionIdOf(req));
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions(req, publicUrl));
    res.status(204).end();
  });

  router.use(
    "/dashboard/assets",
    express.static(assetsDir, {
      index: false,
      redirect: false,
      setHeaders: (res) => {
        protect(res);
        // Always revalidated: a previewd upgrade serves its new page at once.
        res.setHeader("Cache-Control", "no-cache");
      },
    }),
  );

  return router;
}

/**
 * Browsers do not separate cookies by port: a session cookie set for `127.0.0.1` would also go to
 * every app's directUrl (`127.0.0.1:<port>`), whose code could replay it. Signed-in pages live at
 * `localhost` instead, a host no app is reached at (previews are `*.localhost`, which a host-only
 * cookie does not reach). Where the page is served on a loopback address, this is it by name.
 */
function byName(req: express.Request): string | undefined {
  const host = req.get("host") ?? "";
  const match = /^(127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?$/.exec(host);
  return match ? `${req.protocol}://localhost${match[2] ?? ""}${req.originalUrl}` : undefined;
}

function protect(res: ServerResponse): void {
  res.setHeader("Content-Security-Policy", contentSecurityPolicy);
  res.setHeader("X-Content-Type-Options", "nosniff");
  // Not no-referrer: under it a form POST carries `Origin: null`, which the request guard refuses.
  res.setHeader("Referrer-Policy", "same-origin");
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
