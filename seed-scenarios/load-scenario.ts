/**
 * Reads a scenario and everything it extends into one ordered list of steps, checking every
 * file against the schema and against the manifest (services, apps and flags it names), with
 * errors that name the file, the field and what was expected.
 */
import { createHash } from "node:crypto";
import path from "node:path";
import { ManifestError, NotFoundError, type FieldError } from "../provisioner/errors.ts";
import { formatPath } from "../provisioner/manifest/field-path.ts";
import { OutsideMonorepoError } from "../provisioner/manifest/monorepo-paths.ts";
import { readYaml } from "../provisioner/manifest/read-yaml.ts";
import { manifestErrorMap, schemaErrors } from "../provisioner/manifest/schema-errors.ts";
import type { ScenarioFiles } from "./scenario-files.ts";
import {
  scenarioFileSchema,
  scenarioNameSchema,
  type CommandStep,
  type HttpStep,
  type ScenarioFile,
} from "./scenario-schema.ts";

/** The parts of preview.yaml a scenario is checked against (a validated Manifest fits). */
export interface ScenarioManifest {
  services: Record<string, { type: string }>;
  apps: Record<string, unknown>;
  flags: Record<string, { type: string }>;
  seed: { scenarios: string; default?: string | undefined };
}

export interface StepLocation {
  /** Position in the whole run, extended scenarios' steps first (0-based). */
  index: number;
  /** The scenario file declaring the step, relative to the monorepo root. */
  file: string;
  fileIndex: number;
}

export type ResolvedStep = StepLocation &
  (
    | { kind: "sql"; service: string; sql: string; source: string }
    | ({ kind: "http" } & HttpStep)
    | ({ kind: "command" } & CommandStep)
  );

export interface ResolvedScenario {
  name: string;
  file: string;
  description: string;
  extends: string | null;
  /** The scenario and its ancestors, the base first. */
  chain: string[];
  flags: Record<string, boolean | string | number>;
  steps: ResolvedStep[];
  /** sha256 over the scenario, everything it extends and every file they reference. */
  checksum: string;
}

interface LoadedFile {
  name: string;
  file: string;
  text: string;
  scenario: ScenarioFile;
  /** Text of the SQL files its steps name, by step index. */
  sqlFiles: Map<number, { path: string; text: string }>;
}

const extensions = [".yaml", ".yml"];

/** The scenario folder relative to the monorepo root. */
export function scenarioFolder(manifest: ScenarioManifest): string {
  return path.posix.normalize(manifest.seed.scenarios).replace(/\/+$/, "");
}

/** Names of the scenario files in the folder (empty if the source cannot list). */
export async function listScenarioNames(manifest: ScenarioManifest, files: ScenarioFiles): Promise<string[]> {
  const entries =
    (await files.list?.(scenarioFolder(manifest)).catch((error: unknown) => {
      if (!(error instanceof OutsideMonorepoError)) throw error;
      throw new ManifestError("preview.yaml", [{ path: "seed.scenarios", message: error.message }]);
    })) ?? [];
  const names = entries
    .filter((entry) => extensions.some((ext) => entry.endsWith(ext)))
    .map((entry) => entry.replace(/\.ya?ml$/, ""))
    .filter((name) => scenarioNameSchema.safeParse(name).success);
  return [...new Set(names)].sort();
}

/**
 * Resolves `name` with its `extends` chain. An unknown name is a NotFoundError whose field
 * error carries `field` (the request's name for it); a broken file is a ManifestError.
 */
export async function resolveScenario(
  name: string,
  manifest: ScenarioManifest,
  files: ScenarioFiles,
  options: { field?: string } = {},
): Promise<ResolvedScenario> {
  const chain: LoadedFile[] = [];
  const seen: string[] = [];
  let current: string | undefined = name;
  let from: LoadedFile | undefined;
  while (current !== undefined) {
    if (seen.includes(current)) {
      const cycle = [...seen, current].join(" -> ");
      throw new ManifestError(from!.file, [{ path: "extends", message: `extends forms a cycle: ${cycle}` }]);
    }
    seen.push(current);
    const loaded: LoadedFile | undefined = await readScenario(current, manifest, files).catch(
      (error: unknown) => {
        if (!(error instanceof OutsideMonorepoError)) throw error;
        // The scenario file itself is a link out of the monorepo: the field naming it is at fault.
        throw from
          ? new ManifestError(from.file, [{ path: "extends", message: `${error.file} ${error.message}` }])
          : new ManifestError(error.file, [{ path: "", message: error.message }]);
      },
    );
    if (!loaded) throw await unknownScenario(current, manifest, files, from, options.field ?? "scenario");
    chain.unshift(loaded);
    from = loaded;
    current = loaded.scenario.extends;
  }
  const own = chain[chain.length - 1]!;
  return {
    name,
    file: own.file,
    description: own.scenario.description,
    extends: own.scenario.extends ?? null,
    chain: chain.map((c) => c.name),
    flags: Object.assign({}, ...chain.map((c) => c.scenario.flags)) as ResolvedScenario["flags"],
    steps: flattenSteps(chain),
    checksum: checksum(chain),
  };
}

async function unknownScenario(
  name: string,
  manifest: ScenarioManifest,
  files: ScenarioFiles,
  from: LoadedFile | undefined,
  field: string,
): Promise<Error> {
  const folder = scenarioFolder(manifest);
  const known = await listScenarioNames(manifest, files);
  const hint = files.list ? `; known: ${known.join(", ") || "none"}` : "";
  const message = `no scenario ${JSON.stringify(name)} (expected ${folder}/${name}.yaml${hint})`;
  if (from) return new ManifestError(from.file, [{ path: "extends", message }]);
  return new NotFoundError(message, { errors: [{ path: field, message }] });
}

async function readScenario(
  name: string,
  manifest: ScenarioManifest,
  files: ScenarioFiles,
): Promise<LoadedFile | undefined> {
  if (!scenarioNameSchema.safeParse(name).success) return undefined;
  const folder = scenarioFolder(manifest);
  for (const ext of extensions) {
    const file = path.posix.join(folder, `${name}${ext}`);
    const text = await files.read(file); // OutsideMonorepoError: resolveScenario names the field
    if (text === undefined) continue;
    const raw = readYaml(text, file) ?? {};
    const result = scenarioFileSchema.safeParse(raw, { error: manifestErrorMap });
    if (!result.success) {
      throw new ManifestError(file, schemaErrors(result.error.issues, raw, scenarioFileSchema));
    }
    const loaded: LoadedFile = { name, file, text, scenario: result.data, sqlFiles: new Map() };
    const errors = [...referenceErrors(result.data, manifest), ...(await readSqlFiles(loaded, files))];
    if (errors.length > 0) throw new ManifestError(file, errors);
    return loaded;
  }
  return undefined;
}

function referenceErrors(scenario: ScenarioFile, manifest: ScenarioManifest): FieldError[] {
  const errors: FieldError[] = [];
  const unknown = (kind: string, names: string[], got: string) =>
    `unknown ${kind} ${JSON.stringify(got)} (expected one of: ${names.join(", ") || `no ${kind}s declared`})`;
  const postgres = Object.keys(manifest.services).filter((s) => manifest.services[s]?.type === "postgres");
  const apps = Object.keys(manifest.apps);
  scenario.steps.forEach((step, i) => {
    if (step.sql && !postgres.includes(step.sql.service)) {
      const path = formatPath(["steps", i, "sql", "service"]);
      errors.push({ path, message: unknown("postgres service", postgres, step.sql.service) });
    }
    for (const kind of ["http", "command"] as const) {
      const app = step[kind]?.app;
      if (app !== undefined && !apps.includes(app)) {
        errors.push({ path: formatPath(["steps", i, kind, "app"]), message: unknown("app", apps, app) });
      }
    }
  });
  for (const [key, value] of Object.entries(scenario.flags)) {
    const spec = manifest.flags[key];
    const path = formatPath(["flags", key]);
    if (!spec) errors.push({ path, message: unknown("flag", Object.keys(manifest.flags), key) });
    else if (typeof value !== spec.type)
      errors.push({ path, message: `expected a ${spec.type} (got ${JSON.stringify(value)})` });
  }
  return errors;
}

async function readSqlFiles(loaded: LoadedFile, files: ScenarioFiles): Promise<FieldError[]> {
  const errors: FieldError[] = [];
  for (const [i, step] of loaded.scenario.steps.entries()) {
    if (step.sql?.file === undefined) continue;
    const fieldPath = formatPath(["steps", i, "sql", "file"]);
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(loaded.file), step.sql.file));
    if (target === ".." || target.startsWith("../")) {
      errors.push({ path: fieldPath, message: `expected a file inside the monorepo (got ${step.sql.file})` });
      continue;
    }
    let text: string | undefined;
    try {
      text = await files.read(target);
    } catch (error) {
      if (!(error instanceof OutsideMonorepoError)) throw error;
      errors.push({ path: fieldPath, message: error.message });
      continue;
    }
    if (text === undefined) {
      errors.push({ path: fieldPath, message: `no such file ${JSON.stringify(step.sql.file)} (${target})` });
      continue;
    }
    loaded.sqlFiles.set(i, { path: target, text });
  }
  return errors;
}

function flattenSteps(chain: LoadedFile[]): ResolvedStep[] {
  const steps: ResolvedStep[] = [];
  for (const loaded of chain) {
    loaded.scenario.steps.forEach((step, fileIndex) => {
      const at = { index: steps.length, file: loaded.file, fileIndex };
      if (step.sql) {
        const sqlFile = loaded.sqlFiles.get(fileIndex);
        const sql = sqlFile?.text ?? step.sql.query ?? "";
        steps.push({ ...at, kind: "sql", service: step.sql.service, sql, source: sqlFile?.path ?? "query" });
      } else if (step.http) steps.push({ ...at, kind: "http", ...step.http });
      else if (step.command) steps.push({ ...at, kind: "command", ...step.command });
    });
  }
  return steps;
}

function checksum(chain: LoadedFile[]): string {
  const hash = createHash("sha256");
  for (const loaded of chain) {
    hash.update(JSON.stringify([loaded.file, loaded.text]));
    for (const [, sql] of [...loaded.sqlFiles].sort(([a], [b]) => a - b)) {
      hash.update(JSON.stringify([sql.path, sql.text]));
    }
  }
  return `sha256:${hash.digest("hex")}`;
}
