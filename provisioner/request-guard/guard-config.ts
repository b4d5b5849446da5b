/**
 * Which Hosts and Origins previewd answers besides its loopback names: `PREVIEWD_ALLOWED_HOSTS`,
 * `PREVIEWD_ALLOWED_ORIGINS` (comma-separated) and the host of `PREVIEWD_PUBLIC_URL` (parsed with
 * the GitHub settings, which use it for links). Read once at start; a malformed entry stops
 * previewd with a ValidationError naming the variable.
 */
import { ValidationError, type FieldError } from "../errors.ts";

export interface GuardConfig {
  /** `name`, `name:port`, or `.name` for a domain and every name under it. Lower-cased. */
  allowedHosts: string[];
  /** Exact origins (`scheme://host[:port]`), lower-cased, e.g. `https://dashboard.example.com`. */
  allowedOrigins: string[];
  /** PREVIEWD_PUBLIC_URL: its host is allowed and its origin is previewd's own. */
  publicUrl?: string;
}

const hostEntry =
  /^\.?(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::\d{1,5})?$/;
const originEntry = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s@]+$/;

export function loadGuardConfig(env: NodeJS.ProcessEnv = process.env): GuardConfig {
  const errors: FieldError[] = [];
  const allowedHosts = listOf(env.PREVIEWD_ALLOWED_HOSTS);
  for (const entry of allowedHosts) {
    if (!hostEntry.test(entry))
      errors.push({
        path: "PREVIEWD_ALLOWED_HOSTS",
        message: `expected host names such as preview.example.com, .example.com or host:8080 (got ${JSON.stringify(entry)})`,
      });
  }
  const allowedOrigins = listOf(env.PREVIEWD_ALLOWED_ORIGINS).map((entry) => entry.replace(/\/$/, ""));
  for (const entry of allowedOrigins) {
    if (!originEntry.test(entry))
      errors.push({
        path: "PREVIEWD_ALLOWED_ORIGINS",
        message: `expected origins such as https://tools.example.com (scheme://host[:port], no path) (got ${JSON.stringify(entry)})`,
      });
  }
  if (errors.length > 0) throw new ValidationError("invalid allowed hosts or origins", { errors });
  return { allowedHosts, allowedOrigins };
}

function listOf(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== "");
}
