/**
 * Share links to an environment's apps, as PR comments and `POST /v1/environments/:id/share` hand
 * them out: valid for a configured time (PREVIEWD_SHARE_TTL, default 7 days), never past the
 * environment's own expiry. With previews open (no token, or PREVIEWD_PUBLIC_PREVIEWS) they are
 * the plain preview URLs.
 */
import type { PreviewAccess } from "./preview-access.ts";

export interface ShareLink {
  url: string;
  /** ISO time the link stops working; null when previews are open and the link is the plain URL. */
  expiresAt: string | null;
}

export interface ShareLinks {
  /** True when links carry a signed share value. */
  readonly protected: boolean;
  link(env: { id: string; expiresAt: string | null }, appUrl: string, ttlSeconds?: number): ShareLink;
}

export function shareLinks(
  access: PreviewAccess,
  defaultTtlSeconds: number,
  now: () => Date = () => new Date(),
): ShareLinks {
  return {
    protected: access.protected,
    link(env, appUrl, ttlSeconds = defaultTtlSeconds) {
      if (!access.protected) return { url: appUrl, expiresAt: null };
      let expires = new Date(now().getTime() + ttlSeconds * 1000);
      if (env.expiresAt && new Date(env.expiresAt) < expires) expires = new Date(env.expiresAt);
      return { url: access.shareUrl(appUrl, env.id, expires), expiresAt: expires.toISOString() };
    },
  };
}
