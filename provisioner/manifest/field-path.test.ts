import { describe, expect, it } from "vitest";
import { formatPath } from "./field-path.ts";

describe("formatPath", () => {
  it("joins keys with dots and indexes with brackets", () => {
    expect(formatPath(["apps", "api", "depends_on", 0])).toBe("apps.api.depends_on[0]");
    expect(formatPath(["apps", "admin-ui", "env", "DATABASE_URL"])).toBe("apps.admin-ui.env.DATABASE_URL");
  });

  it("is empty for the whole document", () => {
    expect(formatPath([])).toBe("");
  });

  it("brackets keys that would be ambiguous after a dot", () => {
    expect(formatPath(["flags", "a.b"])).toBe('flags["a.b"]');
    expect(formatPath(["apps", "api", "env", "1X"])).toBe('apps.api.env["1X"]');
  });
});
