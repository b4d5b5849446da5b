/**
 * Who may open a preview (SPEC "Safe against web pages"). Without a token, or with
 * `PREVIEWD_PUBLIC_PREVIEWS=true`, anyone. With a token, a request passes with
 * `Authorization: Bearer <token>` or with the session cookie a share link sets: opening
 * `…?previewd_share=<signed, expiring>` answers 303 to the same URL without it and sets an
 * HttpOnly, SameSite=Lax cookie on that preview host only. Everything else is refused before it
 * reaches the app, and what previewd itself reads (its cookie, its token) never reaches the app.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type http from "node:http";
import { PreviewSigner } from "./preview-signature.ts";

export const SHARE_PARAM = "previewd_share";
export const SESSION_COOKIE = "previewd_session";

export interface PreviewAccessOptions {
  token?: string;
  /** PREVIEWD_PUBLIC_PREVIEWS: previews open to anyone even with a token. */
  publicPreviews?: boolean;
  now?: () => Date;
}

export type AccessDecision =
  | { kind: "pass" }
  /** A share link was opened: set the session cookie and go to the same URL without the link's value. */
  | { kind: "redirect"; location: string; setCookie: string }
  | { kind: "deny"; detail: string };

export class PreviewAccess {
  /** True when previews ask for the token or a share link. */
  readonly protected: boolean;
  readonly #tokenDigest?: Buffer;
  readonly #signer?: PreviewSigner;
  readonly #now: () => Date;
  /** Where this instance keeps its answer on a request: a symbol of its own, no client can set it. */
  readonly #verdict = Symbol("previewd token verdict");

  constructor(options: PreviewAccessOptions) {
    this.#now = options.now ?? (() => new Date());
    if (options.token) {
      this.#tokenDigest = digest(options.token);
      this.#signer = new PreviewSigner(options.token);
    }
    this.protected = Boolean(options.token) && !options.publicPreviews;
  }

  /** Does the request carry previewd's own token (`Authorization: Bearer`)? True when there is none. */
  holdsToken(req: http.IncomingMessage): boolean {
    if (!this.#tokenDigest) return true;
    // decide() and stripCredentials() both ask, for every proxied request: hash the token once,
    // keeping the answer on the request (a WeakMap entry per request costs every collection).
    const tagged = req as unknown as Record<symbol, boolean | undefined>;
    const known = tagged[this.#verdict];
    if (known !== undefined) return known;
    const sent = bearer(req);
    // Fixed-length digests keep the comparison constant-time whatever the length sent.
    const holds = sent !== undefined && timingSafeEqual(digest(sent), this.#tokenDigest);
    tagged[this.#verdict] = holds;
    return holds;
  }

  decide(req: http.IncomingMessage, envId: string): AccessDecision {
    if (!this.protected || !this.#signer) return { kind: "pass" };
    const url = req.url ?? "/";
    const share = shareValue(url);
    if (share !== undefined) {
      const verdict = this.#signer.verify("share", envId, share, this.#now());
      if (!verdict.ok) {
        return {
          kind: "deny",
          detail:
            verdict.reason === "expired"
              ? "This share link has expired: ask for a new one."
              : "This share link is not valid for this preview.",
        };
      }
      return {
        kind: "redirect",
        location: withoutShare(url),
        setCookie: this.#sessionCookie(envId, verdict.expiresAt, req),
      };
    }
    if (this.holdsToken(req)) return { kind: "pass" };
    let expired = false;
    for (const value of cookieValues(req.headers.cookie, SESSION_COOKIE)) {
      const verdict = this.#signer.verify("session", envId, value, this.#now());
      if (verdict.ok) return { kind: "pass" };
      expired ||= verdict.reason === "expired";
    }
    return {
      kind: "deny",
      detail: expired
        ? "Your access to this preview has expired: open a new share link."
        : "This preview is protected: open it with a share link, or send Authorization: Bearer <PREVIEWD_TOKEN>.",
    };
  }

  /** `appUrl` with a share link valid until `expiresAt`; the plain URL when previews are open. */
  shareUrl(appUrl: string, envId: string, expiresAt: Date): string {
    if (!this.protected || !this.#signer) return appUrl;
    const url = new URL(appUrl);
    url.searchParams.set(SHARE_PARAM, this.#signer.sign("share", envId, expiresAt));
    return url.toString();
  }

  /**
   * The session cookie's value for an environment, for clients previewd trusts with it directly
   * (the environment's own browser); undefined when previews are open.
   */
  sessionValue(envId: string, expiresAt: Date): string | undefined {
    if (!this.protected || !this.#signer) return undefined;
    return this.#signer.sign("session", envId, expiresAt);
  }

  /** Removes previewd's cookie and token from a request about to be proxied to an app. */
  stripCredentials(req: http.IncomingMessage): void {
    if (this.#tokenDigest && this.holdsToken(req)) delete req.headers.authorization;
    const cookie = req.headers.cookie;
    if (cookie === undefined) return;
    const kept = cookie
      .split(";")
      .filter((pair) => pair.trim() !== "" && cookieName(pair) !== SESSION_COOKIE)
      .map((pair) => pair.trim());
    if (kept.length > 0) req.headers.cookie = kept.join("; ");
    else delete req.headers.cookie;
  }

  #sessionCookie(envId: string, expiresAt: Date, req: http.IncomingMessage): string {
    const value = this.#signer!.sign("session", envId, expiresAt);
    const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - this.#now().getTime()) / 1000));
    // No Domain: the cookie stays on this preview host. Secure only where the browser sees https.
    const secure = req.headers["x-forwarded-proto"] === "https" ? "; Secure" : "";
    return `${SESSION_COOKIE}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Lax${secure}`;
  }
}

function bearer(req: http.IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** The share link's value in a request target, read from the raw query (the last one wins). */
function shareValue(url: string): string | undefined {
  const query = url.indexOf("?");
  if (query === -1) return undefined;
  return new URLSearchParams(url.slice(query + 1)).getAll(SHARE_PARAM).at(-1);
}

/** The request target without the share parameter; every other parameter kept byte for byte. */
function withoutShare(url: string): string {
  const query = url.indexOf("?");
  const path = url.slice(0, query);
  const kept = url
    .slice(query + 1)
    .split("&")
    .filter((part) => part !== "" && decodeName(part.split("=")[0]!) !== SHARE_PARAM);
  // Only ever a path: a Location built from the request's Host could point elsewhere.
  const safePath = path.startsWith("/") && !path.startsWith("//") ? path : "/";
  return kept.length > 0 ? `${safePath}?${kept.join("&")}` : safePath;
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}

function cookieName(pair: string): string {
  return pair.slice(0, pair.includes("=") ? pair.indexOf("=") : pair.length).trim();
}

function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  return header
    .split(";")
    .filter((pair) => cookieName(pair) === name)
    .map((pair) => pair.slice(pair.indexOf("=") + 1).trim());
}
