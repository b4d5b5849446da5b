import { createHash } from "node:crypto";

/** Lowercase letters, digits and single dashes; never empty. */
export function slugify(value: string, maxLength: number): string {
  const slug = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, maxLength)
    .replace(/-+$/g, "");
  return slug || "x";
}

export function shortHash(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}

/**
 * An environment id is a DNS label of at most 40 characters: `<name>-<ref>-<hash4>`, where the
 * hash comes from the (repo, ref, dir) identity, so one identity always maps to one id.
 */
export function environmentId(name: string, ref: string, identity: string): string {
  const hash = shortHash(identity, 4);
  const namePart = slugify(name, 14);
  const refPart = slugify(ref, 40 - namePart.length - hash.length - 2);
  return `${namePart}-${refPart}-${hash}`;
}

/** Seconds from a TTL such as 3600, "30m", "2h" or "7d". */
export function ttlSeconds(ttl: number | string): number {
  if (typeof ttl === "number") return ttl;
  const unit = ttl.at(-1) as "s" | "m" | "h" | "d";
  return Number(ttl.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86400 }[unit];
}
