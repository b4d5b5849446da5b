/**
 * previewd's configuration: CLI flags override PREVIEWD_* environment variables, which
 * override these defaults.
 */
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { runtimeNameSchema } from "./environments/environment-schema.ts";
import { ValidationError } from "./errors.ts";
import { pipelineModes } from "./runtimes/deploy-schedule.ts";
import { defaultCacheMaxBytes } from "./runtimes/process/cache-budget.ts";
import { installSharingModes } from "./runtimes/process/install-key.ts";
import { readTokenFile, tokenFileVariable } from "./token-file.ts";

export const configSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.coerce.number().int().min(0).max(65535).default(7070),
  token: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(path.join(os.homedir(), ".previewd")),
  baseDomain: z
    .string()
    .regex(/^[a-z0-9.-]+$/, "expected a DNS name such as localhost or preview.example.com")
    .default("localhost"),
  runtime: runtimeNameSchema.default("process"),
  /** Default time to live of a new environment, in seconds; 0 keeps environments until deleted. */
  defaultTtl: z.coerce.number().int().min(0).default(0),
  /** With a token: previews open to anyone instead of asking for the token or a share link. */
  publicPreviews: z.union([z.boolean(), z.stringbool()]).default(false),
  /** Lifetime of the share links previewd hands out (PR comments), in seconds; default 7 days. */
  shareTtl: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 86_400),
  /**
   * How provisioning orders builds and starts (deploy-schedule.ts): `concurrent` builds side by
   * side and starts each app once it is ready; `sequential` is the old way, to measure against.
   */
  pipeline: z.enum(pipelineModes).default("concurrent"),
  /** How many builds run at once; default: one per core. */
  buildConcurrency: z.coerce.number().int().min(1).optional(),
  /**
   * How installs are shared between environments (install-key.ts): `package-manager` uses the
   * package managers' own stores; `full-copies` is the old way, to measure against.
   */
  installSharing: z.enum(installSharingModes).default("package-manager"),
  /**
   * `on`: a build with no exact shared copy starts from a copy of the nearest shared build of the
   * same app (build-seeds.ts); `off` builds from nothing, the old way, to measure against.
   */
  buildSeeds: z.enum(["on", "off"]).default("on"),
  /** Size cap of the caches environments share, in bytes or with K, M, G or T (powers of 1024). */
  cacheMaxBytes: z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const bytes = byteSize(value);
      if (bytes === undefined) {
        ctx.addIssue({
          code: "custom",
          message: "expected a size in bytes, or with K, M, G or T such as 10G",
        });
        return z.NEVER;
      }
      return bytes;
    })
    .default(defaultCacheMaxBytes),
});
export type Config = z.infer<typeof configSchema>;

const envVars: Record<keyof Config, string> = {
  host: "PREVIEWD_HOST",
  port: "PREVIEWD_PORT",
  token: "PREVIEWD_TOKEN",
  dataDir: "PREVIEWD_DATA_DIR",
  baseDomain: "PREVIEWD_BASE_DOMAIN",
  runtime: "PREVIEWD_RUNTIME",
  defaultTtl: "PREVIEWD_DEFAULT_TTL",
  publicPreviews: "PREVIEWD_PUBLIC_PREVIEWS",
  shareTtl: "PREVIEWD_SHARE_TTL",
  pipeline: "PREVIEWD_PIPELINE",
  buildConcurrency: "PREVIEWD_BUILD_CONCURRENCY",
  installSharing: "PREVIEWD_INSTALL_SHARING",
  buildSeeds: "PREVIEWD_BUILD_SEEDS",
  cacheMaxBytes: "PREVIEWD_CACHE_MAX_BYTES",
};

export function loadConfig(
  overrides: Partial<Record<keyof Config | "tokenFile", unknown>> = {},
  env = process.env,
): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envVars)) {
    const value = overrides[key as keyof Config] ?? (env[name] === "" ? undefined : env[name]);
    if (value !== undefined) raw[key] = value;
  }
  const tokenFile = overrides.tokenFile ?? (env[tokenFileVariable] || undefined);
  if (tokenFile !== undefined) {
    if (raw.token !== undefined) {
      const message = `set ${tokenFileVariable} or PREVIEWD_TOKEN, not both`;
      throw new ValidationError("invalid configuration", {
        errors: [{ path: tokenFileVariable, message }],
      });
    }
    raw.token = readTokenFile(String(tokenFile));
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ValidationError("invalid configuration", {
      errors: parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]) as keyof Config;
        return { path: envVars[key] ?? key, message: `${issue.message} (got ${JSON.stringify(raw[key])})` };
      }),
    });
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) };
}

/** `10737418240`, `10G`, `512MiB`: bytes, or a number with a binary unit; undefined if neither. */
function byteSize(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
  if (!match) return undefined;
  const power = " KMGT".indexOf((match[2] || " ").toUpperCase());
  const bytes = Math.floor(Number(match[1]) * 1024 ** power);
  return bytes > 0 ? bytes : undefined;
}

/** Loopback hosts are safe without a token; anything else must set PREVIEWD_TOKEN. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
