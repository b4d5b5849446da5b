/**
 * Derives the shipped JSON Schema (`preview.schema.json`) from `manifestSchema`, so editors can
 * validate preview.yaml. Run with `npm run schema`; a test fails if the shipped file drifts.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { z } from "zod";
import { manifestSchema } from "./manifest-schema.ts";

export const jsonSchemaPath = fileURLToPath(new URL("./preview.schema.json", import.meta.url));

/** The manifest as written (input side): fields with defaults are optional. */
export function manifestJsonSchema(): Record<string, unknown> {
  const { $schema, ...schema } = z.toJSONSchema(manifestSchema, { io: "input", target: "draft-2020-12" });
  return {
    $schema,
    $id: "urn:previewd:preview-yaml:v1",
    title: "previewd manifest (preview.yaml)",
    description:
      "Apps, backing services, feature flags and seed scenarios of a monorepo previewed by previewd. " +
      "App env values may reference ${services.<s>.url|host|port} (Postgres also user, password, database), " +
      "${apps.<a>.url|internalUrl|host|port}, ${env.id}, ${env.ref} and ${env.commit}; build_env and a command " +
      "service's env only ${apps.<a>.url|host|port} and ${env.*}; the top-level env only ${env.*}.",
    ...schema,
  };
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
}

export async function writeJsonSchema(path = jsonSchemaPath): Promise<void> {
  await writeFile(path, renderJsonSchema());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await writeJsonSchema();
}
