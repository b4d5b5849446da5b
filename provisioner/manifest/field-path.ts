/** Field paths in manifest errors: `apps.api.env.DATABASE_URL`, `apps.api.depends_on[0]`, `flags["a.b"]`. */
export type PathSegment = string | number;

// Keys that read unambiguously after a dot; anything else (dots, spaces, leading digits) is bracketed.
const plainKey = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segments: readonly PropertyKey[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else {
      const key = String(segment);
      path += plainKey.test(key) ? (path ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return path;
}
