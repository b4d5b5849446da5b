/**
 * The seed scenario contract (SPEC "Seed scenarios"): one YAML file per scenario in the
 * monorepo's `seed.scenarios` folder. Types and the shipped JSON Schema (`scenario.schema.json`)
 * are derived from these zod schemas.
 */
import { z } from "zod";

/** A scenario's name is its file name without `.yaml`; it appears in URLs and CLI arguments. */
export const scenarioNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    'expected a scenario name (letters, digits, ".", "_", "-"; the file name without .yaml)',
  );

const serviceOrApp = z.string().min(1, "expected a name from preview.yaml");

const relativeFileSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/"), { message: "expected a path relative to the scenario file" })
  .describe("relative to the scenario file");

export const sqlStepSchema = z
  .strictObject({
    service: serviceOrApp.describe("a postgres service of preview.yaml"),
    file: relativeFileSchema.optional(),
    query: z.string().min(1, "expected SQL text").optional(),
  })
  .refine((s) => (s.file === undefined) !== (s.query === undefined), {
    message: "expected exactly one of file or query",
  });

export const httpMethodSchema = z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]);

const statusCodeSchema = z
  .number({ error: "expected a status code" })
  .int({ error: "expected a status code" })
  .min(100, { error: "expected a status code" })
  .max(599, { error: "expected a status code" });

export const httpStepSchema = z.strictObject({
  app: serviceOrApp.describe("an app of preview.yaml"),
  method: httpMethodSchema.default("GET"),
  path: z.string().regex(/^\//, 'expected a path starting with "/"'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional().describe("sent as JSON"),
  expect: statusCodeSchema.optional().describe("the status the app must answer; default: any 2xx"),
});

export const commandStepSchema = z.strictObject({
  app: serviceOrApp.describe("an app of preview.yaml; runs in its path, with its environment"),
  run: z.string().trim().min(1, "expected a non-empty shell command"),
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected an environment variable name"), z.string())
    .default({}),
});

export const stepSchema = z
  .strictObject({
    sql: sqlStepSchema.optional(),
    http: httpStepSchema.optional(),
    command: commandStepSchema.optional(),
  })
  .refine((s) => [s.sql, s.http, s.command].filter((k) => k !== undefined).length === 1, {
    message: "expected exactly one of sql, http or command",
  });

export const scenarioFileSchema = z.strictObject({
  description: z.string().default(""),
  extends: scenarioNameSchema.optional().describe("a scenario whose steps run first"),
  flags: z.record(z.string(), z.union([z.boolean(), z.string(), z.number()])).default({}),
  steps: z.array(stepSchema).default([]),
});

export type ScenarioFile = z.output<typeof scenarioFileSchema>;
export type ScenarioStep = z.output<typeof stepSchema>;
export type SqlStep = z.output<typeof sqlStepSchema>;
export type HttpStep = z.output<typeof httpStepSchema>;
export type CommandStep = z.output<typeof commandStepSchema>;
export type StepKind = "sql" | "http" | "command";
