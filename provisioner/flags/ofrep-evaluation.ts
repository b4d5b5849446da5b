/**
 * OpenFeature Remote Evaluation Protocol (OFREP) answers for one environment's flags. Flags have
 * no targeting here: a value is the environment's, whatever the context. `reason` tells a value
 * set for the environment (API or scenario: STATIC) from the manifest's default (DEFAULT).
 */
import { createHash } from "node:crypto";
import type { FlagValue } from "../environments/environment-schema.ts";
import type { EnvironmentFlags } from "./flag-source.ts";

export type OfrepErrorCode =
  "PARSE_ERROR" | "TARGETING_KEY_MISSING" | "INVALID_CONTEXT" | "GENERAL" | "FLAG_NOT_FOUND";

export interface OfrepSuccess {
  key: string;
  value: FlagValue;
  reason: "STATIC" | "DEFAULT";
  variant: "override" | "default";
  metadata: Record<string, string | number | boolean>;
}

export interface OfrepFailure {
  key: string;
  errorCode: OfrepErrorCode;
  errorDetails: string;
}

/** ADR-0008 (`eventStreams`): where a provider hears that it should fetch again. */
export interface OfrepEventStream {
  type: "sse";
  url?: string;
  endpoint?: { origin?: string; requestUri: string };
  inactivityDelaySec?: number;
}

export interface OfrepBulkSuccess {
  flags: OfrepSuccess[];
  eventStreams?: OfrepEventStream[];
  metadata: Record<string, string | number | boolean>;
}

export function evaluateFlag(flags: EnvironmentFlags, key: string): OfrepSuccess | OfrepFailure {
  const spec = flags.declared[key];
  if (!spec) {
    const known = Object.keys(flags.declared).join(", ") || "none";
    return {
      key,
      errorCode: "FLAG_NOT_FOUND",
      errorDetails: `flag ${key} is not declared; declared flags: ${known}`,
    };
  }
  const value = flags.values[key] ?? spec.default;
  const isDefault = value === spec.default;
  return {
    key,
    value,
    reason: isDefault ? "DEFAULT" : "STATIC",
    variant: isDefault ? "default" : "override",
    metadata: { type: spec.type, ...(spec.description !== undefined && { description: spec.description }) },
  };
}

export function evaluateAll(
  flags: EnvironmentFlags,
  eventStreams: OfrepEventStream[] | undefined,
  environment: string,
): OfrepBulkSuccess {
  return {
    flags: Object.keys(flags.declared).map((key) => evaluateFlag(flags, key) as OfrepSuccess),
    ...(eventStreams && { eventStreams }),
    metadata: { environment },
  };
}

/** A strong ETag of a response body: equal bodies, equal tags. */
export function etagOf(body: unknown): string {
  return `"${createHash("sha256").update(JSON.stringify(body)).digest("base64url").slice(0, 27)}"`;
}

/** RFC 9110 weak comparison, as `If-None-Match` uses: `*`, lists, and `W/` prefixes. */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}

export type ParsedOfrepRequest =
  { ok: true; context: Record<string, unknown> } | { ok: false; failure: Omit<OfrepFailure, "key"> };

/** An OFREP request body: empty, or a JSON object whose `context`, if any, is an object. */
export function parseOfrepRequest(text: string): ParsedOfrepRequest {
  if (text.trim() === "") return { ok: true, context: {} };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      failure: { errorCode: "PARSE_ERROR", errorDetails: `malformed JSON: ${(error as Error).message}` },
    };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, failure: { errorCode: "PARSE_ERROR", errorDetails: "expected a JSON object" } };
  }
  const context = (body as { context?: unknown }).context;
  if (context === undefined || context === null) return { ok: true, context: {} };
  if (typeof context !== "object" || Array.isArray(context)) {
    return {
      ok: false,
      failure: { errorCode: "INVALID_CONTEXT", errorDetails: "context: expected an object" },
    };
  }
  return { ok: true, context: context as Record<string, unknown> };
}
