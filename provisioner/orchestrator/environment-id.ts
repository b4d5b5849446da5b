import { sha256Hex, slug } from "../sources/slug.ts";

/**
 * An environment id is a DNS label of at most 40 characters: `<name>-<ref>-<hash4>`, where the
 * hash comes from the (repo, ref, dir) identity, so one identity always maps to one id.
 */
export function environmentId(name: string, ref: string, identity: string): string {
  const hash = sha256Hex(identity, 4);
  const namePart = slug(name, 14);
  const refPart = slug(ref, 40 - namePart.length - hash.length - 2);
  return `${namePart}-${refPart}-${hash}`;
}

/** Seconds from a TTL such as 3600, "30m", "2h" or "7d". */
export function ttlSeconds(ttl: number | string): number {
  if (typeof ttl === "number") return ttl;
  const unit = ttl.at(-1) as "s" | "m" | "h" | "d";
  return Number(ttl.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[unit];
}
