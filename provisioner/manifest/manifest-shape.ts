/**
 * The part of a manifest the cross-reference checks read (names, env templates, depends_on).
 * A validated `Manifest` fits it; `looseManifestShape` pulls it out of a manifest that failed
 * schema validation, so reference and dependency errors are reported alongside schema errors.
 */
type Env = Readonly<Record<string, string>>;

export interface ManifestShape {
  /** Top-level `env`, given to every command. */
  env?: Env;
  services: Readonly<Record<string, { type?: unknown; env?: Env }>>;
  apps: Readonly<Record<string, { env?: Env; build_env?: Env; depends_on?: readonly string[] }>>;
}

export function looseManifestShape(raw: unknown): ManifestShape {
  const root = asRecord(raw);
  // fromEntries defines own properties, so an app named "__proto__" cannot reach the prototype.
  const apps = Object.fromEntries(
    Object.entries(asRecord(root.apps)).map(([name, value]) => {
      const app = asRecord(value);
      const dependsOn = app.depends_on;
      const allStrings = Array.isArray(dependsOn) && dependsOn.every((d) => typeof d === "string");
      return [
        name,
        {
          env: stringValues(app.env),
          build_env: stringValues(app.build_env),
          depends_on: allStrings ? (dependsOn as string[]) : [],
        },
      ];
    }),
  );
  const services = Object.fromEntries(
    Object.entries(asRecord(root.services)).map(([name, value]) => {
      const service = asRecord(value);
      return [name, { type: service.type, env: stringValues(service.env) }];
    }),
  );
  return { env: stringValues(root.env), services, apps };
}

// Non-string values are already schema errors; leave them out rather than report them twice.
function stringValues(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(asRecord(value)).filter(
      (entry): entry is [string, string] => typeof entry[1] === "string",
    ),
  );
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
