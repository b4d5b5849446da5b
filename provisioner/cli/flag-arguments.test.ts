import { describe, expect, it } from "vitest";
import { ValidationError } from "../errors.ts";
import { formatFlags, parseFlagArguments } from "./flag-arguments.ts";
import { formatLogLine, useColour } from "./log-format.ts";

const declared = {
  "new-checkout": { type: "boolean", value: false, default: false },
  "banner-text": { type: "string", value: "Welcome", default: "Welcome" },
  "page-size": { type: "number", value: 20, default: 20 },
} as const;

describe("previewd flags arguments", () => {
  it("reads each value as its flag's type", () => {
    expect(parseFlagArguments(["new-checkout=on", "banner-text=a=b", "page-size=5"], declared)).toEqual({
      "new-checkout": true,
      "banner-text": "a=b",
      "page-size": 5,
    });
    expect(parseFlagArguments(["banner-text="], declared)).toEqual({ "banner-text": "" });
  });

  it("names every bad argument", () => {
    let error: unknown;
    try {
      parseFlagArguments(["page-size=many", "new-checkout=maybe", "dark-mode=true", "oops"], declared);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors?.map((e) => e.path)).toEqual([
      "page-size",
      "new-checkout",
      "dark-mode",
      "oops",
    ]);
  });

  it("prints one line per flag, with the default when it differs", () => {
    expect(formatFlags({ ...declared, "page-size": { type: "number", value: 5, default: 20 } })).toEqual([
      "new-checkout  boolean  false",
      'banner-text   string   "Welcome"',
      "page-size     number   5  (default 20)",
    ]);
  });
});

describe("previewd logs lines", () => {
  const entry = { ts: "2030-01-01T10:00:00.123Z", app: "api", stream: "stderr", line: "boom" } as const;

  it("colours by app on a terminal only, and never with NO_COLOR", () => {
    expect(useColour({ isTTY: true }, {})).toBe(true);
    expect(useColour({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(useColour({ isTTY: false }, {})).toBe(false);
    expect(formatLogLine(entry, { colour: false })).toBe("10:00:00.123 api        ! boom");
    const coloured = formatLogLine(entry, { colour: true });
    expect(coloured).toContain("\x1b[");
    expect(formatLogLine({ ...entry, app: "api" }, { colour: true })).toBe(coloured);
  });
});
