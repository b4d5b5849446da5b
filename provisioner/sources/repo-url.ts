/**
 * Identity and cache naming for remote repositories. One URL, however it is spelled, maps to one
 * mirror, and credentials never become part of an identity or a directory name.
 */
import { sha256Hex, slug } from "./slug.ts";

/** Scheme and host lowercased, credentials and trailing slashes dropped; scp-style kept as written. */
export function canonicalUrl(repo: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(repo)) return repo.replace(/\/+$/, "");
  const url = new URL(repo);
  url.password = "";
  // An https user name is a credential; an ssh one (git@…) picks the account and is part of the address.
  if (url.protocol !== "ssh:") url.username = "";
  url.hostname = url.hostname.toLowerCase();
  url.hash = "";
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url.href;
}

/** `<repo-name>-<12 hex>`: readable, and unique per canonical URL. */
export function mirrorName(canonical: string): string {
  const base = canonical.replace(/\/+$/, "").split(/[/:]/).pop() ?? "";
  return `${slug(base.replace(/\.git$/, ""))}-${sha256Hex(canonical, 12)}`;
}
