/**
 * The bridge's own token check, for WebSocket upgrades (which never pass through express):
 * `Authorization: Bearer <token>` or `?token=<token>`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export function presentedToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (match?.[1]) return match[1].trim();
  const query = new URL(req.url ?? "/", "http://bridge").searchParams.get("token");
  return query ?? undefined;
}

export function tokenMatches(presented: string | undefined, expected: string): boolean {
  // Fixed-length digests keep the comparison constant-time whatever the length sent.
  return presented !== undefined && timingSafeEqual(digest(presented), digest(expected));
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}
