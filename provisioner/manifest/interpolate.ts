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
  /** Connection URLs as the app sees them. */
  services: Record<string, { url: string }>;
  /** Public preview URLs and app-to-app URLs. */
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

/** Every reference a manifest allows, e.g. `services.db.url`, `apps.web.internalUrl`, `env.id`. */
export function knownReferences(manifest: ManifestShape): string[] {
  return [
    ...Object.keys(manifest.services).map((s) => `services.${s}.url`),
    ...Object.keys(manifest.apps).flatMap((a) => [`apps.${a}.url`, `apps.${a}.internalUrl`]),
    "env.id",
    "env.ref",
    "env.commit",
  ];
}

/** Static check: every reference in `apps.*.env` names an existing service or app and a known property. */
export function manifestReferenceErrors(manifest: ManifestShape): FieldError[] {
  const known = knownReferences(manifest);
  const errors: FieldError[] = [];
  for (const [app, spec] of Object.entries(manifest.apps)) {
    for (const [key, template] of Object.entries(spec.env ?? {})) {
      const path = formatPath(["apps", app, "env", key]);
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
  return Object.entries(manifest.apps).flatMap(([app, spec]) =>
    Object.keys(spec.env ?? {})
      .filter(isReservedEnvName)
      .map((key) => ({
        path: formatPath(["apps", app, "env", key]),
        message: `expected a name other than PORT or PREVIEW_* (got "${key}"): previewd sets these for every app`,
      })),
  );
}

/**
 * The environment variables previewd adds to an app's process or container: HOST (which its
 * `env` may change), its interpolated `env`, then PORT and PREVIEW_*. The reserved variables are
 * applied last, so they win even if a manifest that skipped validation sets them.
 */
export function appEnvironment(
  manifest: Manifest,
  app: string,
  values: InterpolationValues,
): Record<string, string> {
  const spec = manifest.apps[app];
  if (!spec) throw new NotFoundError(`no app "${app}" in the manifest`);
  const lookup = (ref: string) => resolveReference(ref, values);
  const env: Record<string, string> = {};
  for (const [key, template] of Object.entries(spec.env)) {
    env[key] = interpolate(template, lookup, { path: formatPath(["apps", app, "env", key]) });
  }
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
  return { HOST: values.host ?? "127.0.0.1", ...env, ...reserved };
}

function resolveReference(ref: string, values: InterpolationValues): string | undefined {
  const [scope, name, property, ...rest] = ref.split(".");
  if (rest.length > 0 || name === undefined) return undefined;
  if (scope === "env" && property === undefined) {
    return name === "id" || name === "ref" || name === "commit" ? values.env[name] : undefined;
  }
  if (scope === "services" && property === "url") return own(values.services, name)?.url;
  if (scope === "apps" && (property === "url" || property === "internalUrl"))
    return own(values.apps, name)?.[property];
  return undefined;
}

// Reference names come from user text: never let `apps.__proto__.url` reach Object.prototype.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
