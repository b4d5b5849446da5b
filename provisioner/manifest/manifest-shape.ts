/**
 * The part of a manifest the cross-reference checks read (names, env templates, depends_on).
 * A validated `Manifest` fits it; `looseManifestShape` pulls it out of a manifest that failed
 * schema validation, so reference and dependency errors are reported alongside schema errors.
 */
export interface ManifestShape {
  services: Readonly<Record<string, unknown>>;
  apps: Readonly<Record<string, { env?: Readonly<Record<string, string>>; depends_on?: readonly string[] }>>;
}

export function looseManifestShape(raw: unknown): ManifestShape {
  const root = asRecord(raw);
  // fromEntries defines own properties, so an app named "__proto__" cannot reach the prototype.
  const apps = Object.fromEntries(
    Object.entries(asRecord(root.apps)).map(([name, value]) => {
      const app = asRecord(value);
      // Non-string values are already schema errors; leave them out rather than report them twice.
      const env = Object.fromEntries(
        Object.entries(asRecord(app.env)).filter(
          (entry): entry is [string, string] => typeof entry[1] === "string",
        ),
      );
      const dependsOn = app.depends_on;
      const allStrings = Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === "string");
      return [name, { env, depends_on: allStrings ? (dependsOn as string[]) : [] }];
    }),
  );
  return { services: asRecord(root.services), apps };
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
