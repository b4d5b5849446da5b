/**
 * Reads and validates `preview.yaml`. Every problem in the file is collected into one
 * ManifestError (`preview.yaml: apps.api.health: expected … (got …)`), schema and
 * cross-reference problems together, so a user fixes them in one pass.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { ManifestError, errorMessage, type FieldError } from "../errors.ts";
import { dependencyErrors } from "./dependency-graph.ts";
import { manifestReferenceErrors, reservedEnvErrors } from "./interpolate.ts";
import { manifestSchema, type Manifest } from "./manifest-schema.ts";
import { looseManifestShape, type ManifestShape } from "./manifest-shape.ts";
import { nameErrors, slugName } from "./name-rules.ts";
import { readYaml } from "./read-yaml.ts";
import { manifestErrorMap, schemaErrors } from "./schema-errors.ts";

export const manifestFileName = "preview.yaml";

/**
 * Validates manifest text. `file` labels messages; `folderName` gives the default `name`.
 * Throws ManifestError listing every problem found.
 */
export function parseManifest(text: string, file: string, folderName: string): Manifest {
  const raw = readYaml(text, file);
  if (raw === null || raw === undefined) {
    throw new ManifestError(file, [
      { path: "", message: "expected a mapping with version and apps (got an empty file)" },
    ]);
  }
  const result = manifestSchema.safeParse(raw, { error: manifestErrorMap });
  const errors: FieldError[] = result.success ? [] : schemaErrors(result.error.issues, raw, manifestSchema);

  const name = result.success ? (result.data.name ?? slugName(folderName)) : undefined;
  if (result.success && name === undefined) {
    errors.push({
      path: "name",
      message: `expected a lowercase name (letters, digits, "-", starting with a letter); the folder name "${folderName}" does not give one, so set name`,
    });
  }

  const shape: ManifestShape = result.success ? result.data : looseManifestShape(raw);
  errors.push(
    ...nameErrors(shape),
    ...reservedEnvErrors(shape),
    ...manifestReferenceErrors(shape),
    ...dependencyErrors(shape),
  );

  if (errors.length > 0 || !result.success || name === undefined) throw new ManifestError(file, errors);
  return { ...result.data, name };
}

/**
 * Reads `<rootDir>/preview.yaml`. The default name comes from `folderName`, which callers
 * running a worktree should set to the repository's folder name (the worktree's own folder
 * name is previewd's, not the user's); it defaults to the last segment of `rootDir`.
 */
export async function loadManifest(
  rootDir: string,
  options: { folderName?: string } = {},
): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(join(rootDir, manifestFileName), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === "ENOENT"
        ? `file is missing: expected ${manifestFileName} at the monorepo root (${rootDir})`
        : `cannot read the file: ${errorMessage(error)}`;
    throw new ManifestError(manifestFileName, [{ path: "", message }], { cause: error });
  }
  return parseManifest(text, manifestFileName, options.folderName ?? basename(rootDir));
}
