/**
 * Rules on names that the schema alone cannot express: the default `name` from the folder,
 * app and service names that would collide in logs, env vars or preview hostnames.
 */
import type { FieldError } from "../errors.ts";
import { formatPath } from "./field-path.ts";
import { keySchema } from "./manifest-schema.ts";
import type { ManifestShape } from "./manifest-shape.ts";

// Log lines carry `app: "browser"` and `app: "previewd"` for previewd's own streams (SPEC logs).
const reservedNames = ["browser", "previewd"];

/** The folder name as a manifest name (`My Shop_2` → `my-shop-2`), or undefined if nothing usable is left. */
export function slugName(folderName: string): string | undefined {
  const slug = folderName
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 31)
    .replace(/-+$/, "");
  return keySchema.safeParse(slug).success ? slug : undefined;
}

export function nameErrors(manifest: ManifestShape): FieldError[] {
  const errors: FieldError[] = [];
  for (const [section, names] of [
    ["services", Object.keys(manifest.services)],
    ["apps", Object.keys(manifest.apps)],
  ] as const) {
    for (const name of names) {
      const path = formatPath([section, name]);
      if (reservedNames.includes(name)) {
        errors.push({
          path,
          message: `expected a name other than ${reservedNames.join(" or ")} (got "${name}"): previewd uses it in logs`,
        });
      }
      if (name.endsWith("-"))
        errors.push({ path, message: `expected a name that does not end with "-" (got "${name}")` });
      // Preview hosts are `<app>--<env-id>`, one DNS label of at most 63 characters; ids take up to 40.
      if (section === "apps" && name.length > 21) {
        errors.push({
          path,
          message: `expected an app name of at most 21 characters (got "${name}", ${name.length}): it is part of a preview hostname`,
        });
      }
      // A "--" inside the app name would make preview hosts ambiguous.
      if (section === "apps" && name.includes("--")) {
        errors.push({
          path,
          message: `expected an app name without "--" (got "${name}"): it separates app and environment in preview URLs`,
        });
      }
    }
  }
  for (const name of Object.keys(manifest.services)) {
    if (Object.hasOwn(manifest.apps, name)) {
      errors.push({
        path: formatPath(["services", name]),
        message: `expected a name not used by an app (got "${name}", also under apps): depends_on and logs name apps and services alike`,
      });
    }
  }
  return errors;
}
