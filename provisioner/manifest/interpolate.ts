/**
 * `${...}` references in app env values (SPEC "Interpolation"), and the environment every app
 * process or container gets. `$${` writes a literal `${`.
 */
import { ManifestError, NotFoundError, type FieldError } from "../errors.ts";
import { formatPath } from "./field-path.ts";
import type { Manifest } from "./manifest-schema.ts";
import type { ManifestShape } from "./manifest-shape.ts";

export interface InterpolationValues {
  env: { id: string; ref: string; commit: string };
  /** Connection URLs as the app sees them; host, port, user, password and database are read from them. */
  services: Record<string, { url: string }>;
  /** Public preview URLs (host and port are read from them) and app-to-app URLs. */
  apps: Record<string, { url: string; internalUrl: string }>;
  /** The port this app must listen on. */
  port: number;
  /**
   * The address it listens on (HOST); default 127.0.0.1, so a preview is reached through previewd
   * only. A container says 0.0.0.0: its published port reaches it on its own interface.
   */
  host?: string;
  flagsUrl: string;
  flagsToken?: string;
}

/**
 * What a build, or a command service, may name: only what is known before anything runs (the
 * environment and the public preview URLs), so a build keyed by its variables can be shared.
 */
export interface BuildValues {
  env: InterpolationValues["env"];
  apps: Record<string, { url: string }>;
}

export type TemplatePart = { text: string } | { ref: string };

/** Splits a template into text and references, or says why it cannot. */
export function parseTemplate(template: string): { parts: TemplatePart[] } | { error: string } {
  const parts: TemplatePart[] = [];
  let text = "";
  let i = 0;
  while (i < template.length) {
    if (template.startsWith("$${", i)) {
      text += "${";
      i += 3;
    } else if (template.startsWith("${", i)) {
      const end = template.indexOf("}", i + 2);
      if (end < 0) {
        return {
          error: `unterminated "\${" at character ${i + 1}: expected a closing "}" (write "$\${" for a literal "\${")`,
        };
      }
      if (text) parts.push({ text });
      text = "";
      parts.push({ ref: template.slice(i + 2, end).trim() });
      i = end + 1;
    } else {
      text += template[i];
      i += 1;
    }
  }
  if (text) parts.push({ text });
  return { parts };
}

/** Where a template sits decides what it may name (see `references`). */
type TemplateSite = "apps" | "build" | "top";

const servicePartsByType: Record<string, string[]> = {
  postgres: ["url", "host", "port", "user", "password", "database"],
  redis: ["url", "host", "port"],
  command: ["url", "host", "port"],
};

/**
 * Every reference a template at `site` may use: app env may name anything; `build_env` and a
 * command service's env only the environment and public preview URLs (known before anything
 * runs); the top-level env, given to install too, only the environment.
 */
export function knownReferences(manifest: ManifestShape, site: TemplateSite = "apps"): string[] {
  const services =
    site === "apps"
      ? Object.entries(manifest.services).flatMap(([name, spec]) =>
          (servicePartsByType[String(spec.type)] ?? ["url", "host", "port"]).map(
            (part) => `services.${name}.${part}`,
          ),
        )
      : [];
  const appParts = site === "apps" ? ["url", "internalUrl", "host", "port"] : ["url", "host", "port"];
  const apps =
    site === "top" ? [] : Object.keys(manifest.apps).flatMap((a) => appParts.map((p) => `apps.${a}.${p}`));
  return [...services, ...apps, "env.id", "env.ref", "env.commit"];
}

/** Static check: every reference in the manifest's env maps names something its place may use. */
export function manifestReferenceErrors(manifest: ManifestShape): FieldError[] {
  type Site = [TemplateSite, string[], Readonly<Record<string, string>> | undefined];
  const sites: Site[] = [
    ["top", ["env"], manifest.env],
    ...Object.entries(manifest.apps).flatMap(([app, spec]): Site[] => [
      ["apps", ["apps", app, "env"], spec.env],
      ["build", ["apps", app, "build_env"], spec.build_env],
    ]),
    ...Object.entries(manifest.services).map(([name, spec]): Site => [
      "build",
      ["services", name, "env"],
      spec.env,
    ]),
  ];
  const errors: FieldError[] = [];
  for (const [site, at, templates] of sites) {
    const known = knownReferences(manifest, site);
    for (const [key, template] of Object.entries(templates ?? {})) {
      const path = formatPath([...at, key]);
      const parsed = parseTemplate(template);
      if ("error" in parsed) {
        errors.push({ path, message: parsed.error });
        continue;
      }
      for (const part of parsed.parts) {
        if ("ref" in part && !known.includes(part.ref)) {
          const allowed = known.map((ref) => `\${${ref}}`).join(", ");
          errors.push({ path, message: `unknown reference \${${part.ref}} (expected one of: ${allowed})` });
        }
      }
    }
  }
  return errors;
}

/** Replaces each reference with `lookup(ref)`. A reference without a value is a ManifestError at `where`. */
export function interpolate(
  template: string,
  lookup: (ref: string) => string | undefined,
  where: { file?: string; path?: string } = {},
): string {
  const fail = (message: string): never => {
    throw new ManifestError(where.file ?? "preview.yaml", [{ path: where.path ?? "", message }]);
  };
  const parsed = parseTemplate(template);
  if ("error" in parsed) return fail(parsed.error);
  return parsed.parts
    .map((part) => {
      if ("text" in part) return part.text;
      return lookup(part.ref) ?? fail(`no value for reference \${${part.ref}}`);
    })
    .join("");
}

/** `admin-ui` → `PREVIEW_URL_ADMIN_UI`. */
export function appUrlVariable(app: string): string {
  return `PREVIEW_URL_${app.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Names previewd sets for every app; a manifest may not set them (see `reservedEnvErrors`). */
export function isReservedEnvName(name: string): boolean {
  return name === "PORT" || name.startsWith("PREVIEW_");
}

/** `PORT` and `PREVIEW_*` belong to previewd: a manifest that sets them is rejected, not silently overridden. */
export function reservedEnvErrors(manifest: ManifestShape): FieldError[] {
  const maps: Array<[Array<string>, Readonly<Record<string, string>> | undefined]> = [
    [["env"], manifest.env],
    ...Object.entries(manifest.apps).flatMap(([app, spec]) => [
      [["apps", app, "env"], spec.env] as [string[], typeof spec.env],
      [["apps", app, "build_env"], spec.build_env] as [string[], typeof spec.env],
    ]),
    ...Object.entries(manifest.services).map(
      ([name, spec]) => [["services", name, "env"], spec.env] as [string[], typeof spec.env],
    ),
  ];
  return maps.flatMap(([at, env]) =>
    Object.keys(env ?? {})
      .filter(isReservedEnvName)
      .map((key) => ({
        path: formatPath([...at, key]),
        message: `expected a name other than PORT or PREVIEW_* (got "${key}"): previewd sets these for every app`,
      })),
  );
}

/** The manifest's top-level `env`, interpolated: what every install, build, release, service and app command gets. */
export function sharedEnvironment(
  manifest: Manifest,
  values: Pick<BuildValues, "env">,
): Record<string, string> {
  return interpolateAll(manifest.env ?? {}, ["env"], (ref) => resolveReference(ref, values));
}

/** What an app's build runs with: the top-level env, then its `build_env`, interpolated. */
export function buildEnvironment(
  manifest: Manifest,
  app: string,
  values: BuildValues,
): Record<string, string> {
  const spec = manifest.apps[app];
  if (!spec) throw new NotFoundError(`no app "${app}" in the manifest`);
  const lookup = (ref: string) => resolveReference(ref, values);
  return {
    ...sharedEnvironment(manifest, values),
    ...interpolateAll(spec.build_env ?? {}, ["apps", app, "build_env"], lookup),
  };
}

/**
 * What a `command` service runs with: the top-level env, its own env, then HOST and PORT (where
 * to listen), PREVIEW_ENV_ID, PREVIEW_REF and PREVIEW_COMMIT.
 */
export function serviceEnvironment(
  manifest: Manifest,
  service: string,
  values: BuildValues & { port: number; host?: string },
): Record<string, string> {
  const spec = manifest.services[service];
  if (!spec) throw new NotFoundError(`no service "${service}" in the manifest`);
  const own = spec.type === "command" ? spec.env : {};
  const lookup = (ref: string) => resolveReference(ref, values);
  return {
    HOST: values.host ?? "127.0.0.1",
    ...sharedEnvironment(manifest, values),
    ...interpolateAll(own, ["services", service, "env"], lookup),
    PORT: String(values.port),
    PREVIEW_ENV_ID: values.env.id,
    PREVIEW_REF: values.env.ref,
    PREVIEW_COMMIT: values.env.commit,
  };
}

/**
 * The environment variables previewd adds to an app's process or container: HOST (which its
 * `env` may change), the top-level env, its interpolated `env`, then PORT and PREVIEW_*. The
 * reserved variables are applied last, so they win even if a manifest that skipped validation
 * sets them.
 */
export function appEnvironment(
  manifest: Manifest,
  app: string,
  values: InterpolationValues,
): Record<string, string> {
  const spec = manifest.apps[app];
  if (!spec) throw new NotFoundError(`no app "${app}" in the manifest`);
  const lookup = (ref: string) => resolveReference(ref, values);
  const env = interpolateAll(spec.env, ["apps", app, "env"], lookup);
  const reserved: Record<string, string> = {
    PORT: String(values.port),
    PREVIEW_ENV_ID: values.env.id,
    PREVIEW_REF: values.env.ref,
    PREVIEW_COMMIT: values.env.commit,
    PREVIEW_FLAGS_URL: values.flagsUrl,
  };
  if (values.flagsToken !== undefined) reserved.PREVIEW_FLAGS_TOKEN = values.flagsToken;
  for (const name of Object.keys(manifest.apps)) {
    reserved[appUrlVariable(name)] = interpolate(`\${apps.${name}.url}`, lookup, {
      path: formatPath(["apps", name]),
    });
  }
  return { HOST: values.host ?? "127.0.0.1", ...sharedEnvironment(manifest, values), ...env, ...reserved };
}

function interpolateAll(
  templates: Readonly<Record<string, string>>,
  at: Array<string | number>,
  lookup: (ref: string) => string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(templates)) {
    out[key] = interpolate(template, lookup, { path: formatPath([...at, key]) });
  }
  return out;
}

interface ReferenceValues {
  env: InterpolationValues["env"];
  services?: InterpolationValues["services"];
  apps?: Record<string, { url: string; internalUrl?: string }>;
}

function resolveReference(ref: string, values: ReferenceValues): string | undefined {
  const [scope, name, property, ...rest] = ref.split(".");
  if (rest.length > 0 || name === undefined) return undefined;
  if (scope === "env" && property === undefined) {
    return name === "id" || name === "ref" || name === "commit" ? values.env[name] : undefined;
  }
  if (property === undefined) return undefined;
  if (scope === "services") {
    const url = values.services && own(values.services, name)?.url;
    return url === undefined ? undefined : urlPart(url, property);
  }
  if (scope === "apps") {
    const app = values.apps && own(values.apps, name);
    if (!app) return undefined;
    if (property === "internalUrl") return app.internalUrl;
    return urlPart(app.url, property);
  }
  return undefined;
}

/** `url` itself, or one of its parts: host, port (the scheme's default when absent), user, password, database. */
function urlPart(url: string, part: string): string | undefined {
  if (part === "url") return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const defaultPorts: Record<string, string> = {
    "http:": "80",
    "https:": "443",
    "postgres:": "5432",
    "postgresql:": "5432",
    "redis:": "6379",
  };
  switch (part) {
    case "host":
      return parsed.hostname.replace(/^\[(.*)\]$/, "$1");
    case "port":
      return parsed.port || defaultPorts[parsed.protocol];
    case "user":
      return decodeURIComponent(parsed.username);
    case "password":
      return decodeURIComponent(parsed.password);
    case "database":
      return decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    default:
      return undefined;
  }
}
// Reference names come from user text: never let `apps.__proto__.url` reach Object.prototype.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
