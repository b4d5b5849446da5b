import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { GrepPatternError, grepMatches, MAX_GREP_LENGTH, parseGrep } from "./grep-pattern.ts";

function refusal(text: string): string {
  try {
    parseGrep(text);
  } catch (error) {
    expect(error).toBeInstanceOf(GrepPatternError);
    return (error as Error).message;
  }
  throw new Error(`${text} was accepted`);
}

describe("parseGrep", () => {
  it("keeps plain text a substring, special characters included", () => {
    const grep = parseGrep("(scenario empty)");
    expect(grep).toBe("(scenario empty)");
    expect(grepMatches(grep, "loaded (scenario empty) in 3 ms")).toBe(true);
  });

  it("compiles /…/flags with RE2, never with JavaScript's backtracking RegExp", () => {
    const grep = parseGrep("/^(web|database)/i");
    expect(grep).toBeInstanceOf(RE2JS);
    expect(grepMatches(grep, "Web listening on 4001")).toBe(true);
    expect(grepMatches(grep, "api listening on 4000")).toBe(false);
  });

  it("runs the catastrophic /(a+)+$/ through RE2: a line that froze previewd for 17 s is one pass", () => {
    const grep = parseGrep("/(a+)+$/");
    expect(grep).toBeInstanceOf(RE2JS);
    // 27 `a`s and a `!` took 17.6 s with RegExp, doubling with each `a`; RE2 does not backtrack.
    expect(grepMatches(grep, `${"a".repeat(27)}!`)).toBe(false);
    expect(grepMatches(grep, `${"a".repeat(100_000)}!`)).toBe(false);
    expect(grepMatches(grep, "a".repeat(100_000))).toBe(true);
  });

  it("reads JavaScript spellings: named groups, \\u{…}, \\d, flags m and s", () => {
    expect(grepMatches(parseGrep("/(?<word>\\w+) on \\d+/"), "listening on 4000")).toBe(true);
    expect(grepMatches(parseGrep("/\\u{1F600}/u"), "smile 😀")).toBe(true);
    expect(grepMatches(parseGrep("/a.b/s"), "a\nb")).toBe(true);
    expect(grepMatches(parseGrep("/a.b/"), "a\nb")).toBe(false);
    expect(grepMatches(parseGrep("/^b/m"), "a\nb")).toBe(true);
    // g and y keep no state between lines (RegExp's lastIndex did).
    const global = parseGrep("/x/gy");
    expect([grepMatches(global, "x"), grepMatches(global, "x")]).toEqual([true, true]);
  });

  it.each([
    ["/(a)\\1/", "backreference `\\1`"],
    ["/(?<q>['\"]).*\\k<q>/", "named backreference `\\k<…>`"],
    ["/error(?=: )/", "lookahead `(?=`"],
    ["/error(?!: )/", "negative lookahead `(?!`"],
    ["/(?<=user )\\w+/", "lookbehind `(?<=`"],
    ["/(?<!no )error/", "negative lookbehind `(?<!`"],
  ])("refuses %s naming the %s", (text, construct) => {
    expect(refusal(text)).toBe(
      `unsupported ${construct}: grep patterns use RE2 syntax, which matches in linear time without backreferences or lookaround`,
    );
  });

  it("takes escaped and bracketed look-alikes literally", () => {
    expect(grepMatches(parseGrep("/\\(?=x/"), "(=x")).toBe(true);
    expect(grepMatches(parseGrep("/[(?=]+x/"), "?=x")).toBe(true);
    expect(grepMatches(parseGrep("/\\\\1/"), "\\1")).toBe(true);
  });

  it("refuses the v flag, syntax errors, oversized programs and over-long patterns", () => {
    expect(refusal("/[\\p{L}--[a-z]]/v")).toMatch(/^unsupported flag v/);
    expect(refusal("/(unclosed/")).toMatch(
      /^invalid regular expression \(RE2 syntax\): .*missing closing \)/,
    );
    expect(refusal("/a{1001}/")).toMatch(/invalid repeat count/);
    expect(refusal("/\\p{L}{400}/")).toMatch(
      /^regular expression too large \(RE2 program size 402, at most 200\)/,
    );
    expect(refusal("x".repeat(MAX_GREP_LENGTH + 1))).toBe(
      `expected at most ${MAX_GREP_LENGTH} characters (got ${MAX_GREP_LENGTH + 1})`,
    );
    expect(parseGrep("x".repeat(MAX_GREP_LENGTH))).toHaveLength(MAX_GREP_LENGTH);
  });
});
