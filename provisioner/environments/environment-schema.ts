/**
 * The HTTP contract for environments (SPEC "HTTP API"). The API validates with these,
 * and /openapi.json is generated from them.
 */
import { z } from "zod";

export const runtimeNameSchema = z.enum(["process", "docker", "kubernetes"]);
export type RuntimeName = z.infer<typeof runtimeNameSchema>;

export const environmentStatusSchema = z.enum([
  "provisioning",
  "ready",
  // Ready once, now with an app or service down or unhealthy while previewd restarts it.
  "degraded",
  "updating",
  "failed",
  "deleting",
]);
export type EnvironmentStatus = z.infer<typeof environmentStatusSchema>;

/** A duration in seconds, or a string such as "90m", "2h", "7d". `null` keeps the environment until deleted. */
export const ttlSchema = z.union([
  z
    .number()
    .int()
    .positive()
    .max(366 * 24 * 3600),
  z.string().regex(/^\d+(s|m|h|d)$/, 'expected seconds or a duration such as "30m", "2h", "7d"'),
  z.null(),
]);

export const flagValueSchema = z.union([z.boolean(), z.string(), z.number()]);
export type FlagValue = z.infer<typeof flagValueSchema>;

export const createEnvironmentRequestSchema = z.strictObject({
  repo: z.string().min(1).max(4096).describe("a local path or a git URL (https, ssh, file)"),
  ref: z.string().min(1).max(255).optional().describe("branch, tag or commit; default: the repo's HEAD"),
  dir: z.string().min(1).max(1024).optional().describe("the monorepo root inside the repo"),
  worktree: z.string().min(1).max(4096).optional().describe("an existing local worktree to run in place"),
  scenario: z.string().min(1).max(100).optional(),
  flags: z.record(z.string(), flagValueSchema).optional(),
  runtime: runtimeNameSchema.optional(),
  ttl: ttlSchema.optional(),
});
export type CreateEnvironmentRequest = z.infer<typeof createEnvironmentRequestSchema>;

export const patchEnvironmentRequestSchema = z.strictObject({ ttl: ttlSchema });

export const appViewSchema = z.object({
  url: z.string(),
  directUrl: z.string().nullable(),
  status: z.enum(["pending", "building", "starting", "healthy", "unhealthy", "crashed", "stopped", "failed"]),
});
export const serviceViewSchema = z.object({
  type: z.enum(["postgres", "redis", "command"]).describe("the service's type in the manifest"),
  status: z.enum(["pending", "starting", "running", "crashed", "stopped", "failed"]),
});

export const timingsSchema = z.record(z.string(), z.number());
export type Timings = z.infer<typeof timingsSchema>;

export const environmentErrorSchema = z.object({
  step: z.string(),
  app: z.string().optional(),
  message: z.string(),
  logTail: z.array(z.string()),
});
export type EnvironmentError = z.infer<typeof environmentErrorSchema>;

/** The scenario last loaded into the environment's data; null before any (or after a failed load). */
export const seedStateSchema = z
  .object({
    scenario: z.string(),
    checksum: z.string().describe("sha256 over the scenario, what it extends and the files they reference"),
    loadedAt: z.string(),
  })
  .nullable();
export type SeedState = z.infer<typeof seedStateSchema>;

export const environmentSchema = z.object({
  id: z.string(),
  name: z.string(),
  repo: z.string(),
  ref: z.string(),
  dir: z.string().nullable(),
  commit: z.string(),
  runtime: runtimeNameSchema,
  status: environmentStatusSchema,
  scenario: z.string().nullable(),
  seed: seedStateSchema,
  apps: z.record(z.string(), appViewSchema),
  services: z.record(z.string(), serviceViewSchema),
  flags: z.record(z.string(), flagValueSchema),
  /** The OFREP base URL, as apps get it in `PREVIEW_FLAGS_URL` (SPEC "Feature flags"). */
  flagsUrl: z.string(),
  devtools: z
    .object({
      http: z.string(),
      webSocketDebuggerUrl: z.string().nullable(),
      /** `http://127.0.0.1:<port>`: Chrome's remote-debugging endpoints at the root (SPEC "CDP bridge"). */
      browserUrl: z.string(),
    })
    .nullable(),
  timings: timingsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string().nullable(),
  error: environmentErrorSchema.nullable(),
});
export type EnvironmentView = z.infer<typeof environmentSchema>;

export const environmentEventSchema = z.object({
  ts: z.string(),
  step: z.string(),
  app: z.string().optional(),
  status: z.enum(["started", "succeeded", "failed", "skipped", "info"]),
  message: z.string(),
});
export type EnvironmentEvent = z.infer<typeof environmentEventSchema>;

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** How many field errors there were when `errors` lists only the first 20. */
  errorCount: z.number().int().optional(),
});
