/**
 * The query of `GET /v1/environments/:id/logs`, validated: `app`/`stream` (repeatable or comma
 * lists), `since`/`until` (RFC 3339 or a duration back from now such as `5m`), `tail`, `grep`
 * (a substring, or `/regex/flags` in RE2 syntax: see grep-pattern.ts), `follow`, `maxDuration`
 * and `lastEventId`.
 */
import { z } from "zod";
import { type GrepMatcher, GrepPatternError, parseGrep } from "../logs/grep-pattern.ts";
import type { LogFilter } from "../logs/log-filter.ts";
import type { LogStream } from "../logs/log-store.ts";
import { parseRequest } from "./validate.ts";

export const DEFAULT_TAIL = 200;
export const MAX_TAIL = 5000;
export const DEFAULT_FOLLOW_MS = 30 * 60_000;
export const MAX_FOLLOW_MS = 24 * 60 * 60_000;

const logStreams = ["stdout", "stderr", "system", "browser"] as const satisfies LogStream[];
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `90`, `90s`, `5m`, `2h`, `1d` (a bare number is seconds) in milliseconds, or undefined. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  return match ? Number(match[1]) * units[match[2] ?? "s"]! : undefined;
}

const list = z.union([z.string(), z.array(z.string())]).transform((value) =>
  (Array.isArray(value) ? value : [value])
    .flatMap((item) => item.split(","))
    .map((item) => item.trim())
    .filter(Boolean),
);

const flag = z
  .enum(["true", "false", "1", "0", ""])
  .transform((value) => value === "true" || value === "1" || value === "");

function timeBound(now: Date) {
  return z.string().transform((text, ctx) => {
    if (rfc3339.test(text.trim()) && !Number.isNaN(Date.parse(text))) return new Date(text);
    const ms = parseDuration(text);
    if (ms !== undefined) return new Date(now.getTime() - ms);
    ctx.addIssue({
      code: "custom",
      message: 'expected an RFC 3339 time or a duration such as "5m"',
      input: text,
    });
    return z.NEVER;
  });
}

const grep = z.string().transform((text, ctx): GrepMatcher => {
  try {
    return parseGrep(text);
  } catch (error) {
    if (!(error instanceof GrepPatternError)) throw error;
    ctx.addIssue({ code: "custom", message: error.message, input: text });
    return z.NEVER;
  }
});

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms !== undefined && ms > 0 && ms <= MAX_FOLLOW_MS) return ms;
  ctx.addIssue({ code: "custom", message: 'expected a duration up to 24h such as "30m"', input: text });
  return z.NEVER;
});

function logQuerySchema(now: Date) {
  return z.strictObject({
    app: list.optional(),
    stream: list.pipe(z.array(z.enum(logStreams))).optional(),
    since: timeBound(now).optional(),
    until: timeBound(now).optional(),
    // Above the cap is not an error: the newest MAX_TAIL lines are what anyone asking for more gets.
    tail: z.coerce
      .number()
      .int()
      .min(0)
      .transform((n) => Math.min(n, MAX_TAIL))
      .optional(),
    grep: grep.optional(),
    follow: flag.optional(),
    maxDuration: duration.optional(),
    lastEventId: z.coerce.number().int().min(0).optional(),
  });
}

export interface LogRequest {
  filter: LogFilter;
  tail: number;
  follow: boolean;
  maxDurationMs: number;
  lastEventId?: number;
}

export function parseLogQuery(query: unknown, now = new Date()): LogRequest {
  const q = parseRequest(logQuerySchema(now), "query", query);
  return {
    filter: {
      ...(q.app?.length && { apps: q.app }),
      ...(q.stream?.length && { streams: q.stream }),
      ...(q.since && { since: q.since }),
      ...(q.until && { until: q.until }),
      ...(q.grep !== undefined && q.grep !== "" && { grep: q.grep }),
    },
    tail: q.tail ?? DEFAULT_TAIL,
    follow: q.follow ?? false,
    maxDurationMs: q.maxDuration ?? DEFAULT_FOLLOW_MS,
    ...(q.lastEventId !== undefined && { lastEventId: q.lastEventId }),
  };
}
