/**
 * The `preview.yaml` contract (SPEC "The manifest"). Types and the shipped JSON Schema
 * (`preview.schema.json`) are derived from these zod schemas; nothing else restates them.
 */
import { z } from "zod";

/** Service, app and flag keys become DNS labels and env var names, so keep them simple. */
export const keySchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,30}$/,
    'expected a lowercase name (letters, digits, "-"), starting with a letter',
  );

const commandSchema = z.string().trim().min(1, "expected a non-empty shell command");

const relativePathSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), {
    message: 'expected a path relative to the monorepo root, without ".."',
  });

const envNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name");
const envSchema = z.record(envNameSchema, z.string());

const healthPathSchema = z.string().regex(/^\//, 'expected a path starting with "/"');
/** `/healthz`, or `{path, timeout}` with the timeout in seconds (default 60). */
const healthSchema = z.union([
  healthPathSchema,
  z.strictObject({
    path: healthPathSchema.default("/"),
    timeout: z.number().positive().max(3600).optional().describe("seconds; default 60"),
  }),
]);

export const appDockerSchema = z
  .strictObject({
    dockerfile: relativePathSchema.optional(),
    image: z.string().min(1).optional(),
    context: relativePathSchema.default("."),
    port: z.number().int().min(1).max(65535),
    buildArgs: z.record(z.string(), z.string()).optional(),
    memory: z.string().optional().describe('memory limit, e.g. "512m"'),
    cpus: z.number().positive().optional(),
    pids: z.number().int().positive().optional(),
  })
  .refine((d) => Boolean(d.dockerfile) !== Boolean(d.image), {
    message: "expected exactly one of dockerfile or image",
  });

const postgresServiceSchema = z.strictObject({
  type: z.literal("postgres"),
  image: z.string().min(1).optional().describe("docker/kubernetes only; default postgres:16"),
  database: keySchema.optional().describe("default: the service key"),
});

const redisServiceSchema = z.strictObject({
  type: z.literal("redis"),
  image: z.string().min(1).optional().describe("docker/kubernetes only; default redis:7"),
});

/** Any process or container with a port: a digital twin of a third-party API, a mail catcher, a queue. */
const commandServiceSchema = z.strictObject({
  type: z.literal("command"),
  path: relativePathSchema.default("."),
  run: commandSchema.optional().describe("how the process runtime starts it, with PORT set"),
  health: healthPathSchema.optional().describe('omit for "accepts TCP connections on PORT"'),
  env: envSchema.default({}),
  docker: appDockerSchema.optional(),
});

export const serviceSchema = z.discriminatedUnion("type", [
  postgresServiceSchema,
  redisServiceSchema,
  commandServiceSchema,
]);

export const appSchema = z.strictObject({
  path: relativePathSchema.default("."),
  build: commandSchema.optional(),
  build_env: envSchema
    .optional()
    .describe("build-time variables (NEXT_PUBLIC_*, VITE_*); part of the build's cache key"),
  release: commandSchema
    .optional()
    .describe("one-shot command after the app's dependencies are up and before it starts"),
  start: commandSchema.optional().describe("how the process runtime starts the app"),
  health: healthSchema.default("/"),
  env: envSchema.default({}),
  depends_on: z.array(keySchema).default([]),
  docker: appDockerSchema.optional(),
});

const booleanFlag = z.strictObject({
  type: z.literal("boolean"),
  default: z.boolean(),
  description: z.string().optional(),
});
const stringFlag = z.strictObject({
  type: z.literal("string"),
  default: z.string(),
  description: z.string().optional(),
});
const numberFlag = z.strictObject({
  type: z.literal("number"),
  default: z.number(),
  description: z.string().optional(),
});
export const flagSchema = z.discriminatedUnion("type", [booleanFlag, stringFlag, numberFlag]);

export const seedSchema = z.strictObject({
  scenarios: relativePathSchema.default("seed-scenarios"),
  default: z.string().min(1).optional(),
});

export const manifestSchema = z.strictObject({
  version: z.literal(1),
  name: keySchema.optional().describe("default: the folder's name"),
  env: envSchema.optional().describe("given to every install, build, release, service and app command"),
  install: commandSchema.optional(),
  services: z.record(keySchema, serviceSchema).default({}),
  apps: z.record(keySchema, appSchema).refine((apps) => Object.keys(apps).length > 0, {
    message: "expected at least one app",
  }),
  flags: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, "expected a flag key"), flagSchema).default({}),
  seed: seedSchema.default({ scenarios: "seed-scenarios" }),
});

/** The manifest as written (defaults not yet applied). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** The manifest after validation, defaults applied. `name` is always set by the loader. */
export type Manifest = z.output<typeof manifestSchema> & { name: string };
export type AppSpec = z.output<typeof appSchema>;
export type ServiceSpec = z.output<typeof serviceSchema>;
export type CommandServiceSpec = z.output<typeof commandServiceSchema>;
export type ServiceType = ServiceSpec["type"];

/** The health check an app's `health` asks for; a bare path means the default timeout. */
export function appHealth(spec: Pick<AppSpec, "health"> | undefined): { path: string; timeoutMs?: number } {
  const health = spec?.health ?? "/";
  if (typeof health === "string") return { path: health };
  return { path: health.path, ...(health.timeout !== undefined && { timeoutMs: health.timeout * 1000 }) };
}
export type FlagSpec = z.output<typeof flagSchema>;
