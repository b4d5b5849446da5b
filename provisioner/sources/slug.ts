import { createHash } from "node:crypto";

/** Lowercase letters, digits and single dashes, at most `maxLength` long; never empty. */
export function slug(value: string, maxLength = 30): string {
  const result = value
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, maxLength)
    .replace(/-+$/g, "");
  return result || "x";
}

export function sha256Hex(value: string, length: number): string {
  return createHash("sha256").update(value).digest("hex").slice(0, length);
}
