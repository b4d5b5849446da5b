/**
 * A log `grep` as callers write it: a substring, or `/pattern/flags` matched with RE2 semantics
 * (re2js). JavaScript's RegExp backtracks: `/(a+)+$/` on 27 `a`s and a `!` froze the one event
 * loop that serves the API, the proxy and the bridge for 17 s. RE2 matches in time linear in the
 * line, and the caps below bound the factor a pattern multiplies that by.
 */
import { RE2JS, RE2JSException } from "re2js";

/** Longer patterns are refused: nobody greps logs with a kilobyte of regex. */
export const MAX_GREP_LENGTH = 1000;
/**
 * RE2's own measure of a compiled pattern's cost. Matching is linear in the input with a factor
 * that grows with it (about 1 µs a character at 400 when the DFA gives up; ordinary log patterns
 * stay under 60), so the cap keeps a full log ring's scan to seconds, which log-filter then
 * spreads over many turns of the event loop.
 */
export const MAX_GREP_PROGRAM_SIZE = 200;

/** What a line is tested against: a substring, or a compiled RE2 pattern (never a RegExp). */
export type GrepMatcher = string | RE2JS;

/** A `grep` that cannot run in linear time or does not parse; the message names the reason. */
export class GrepPatternError extends Error {
  override readonly name = "GrepPatternError";
}

const regexLiteral = /^\/(.*)\/([dgimsuvy]*)$/s;
const flagBits: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
};

/** `text` as a matcher: `/…/flags` compiles with RE2, anything else is a substring. */
export function parseGrep(text: string): GrepMatcher {
  if (text.length > MAX_GREP_LENGTH) {
    throw new GrepPatternError(`expected at most ${MAX_GREP_LENGTH} characters (got ${text.length})`);
  }
  const literal = regexLiteral.exec(text);
  if (!literal) return text;
  const [, source = "", flags = ""] = literal;
  if (flags.includes("v")) {
    throw new GrepPatternError("unsupported flag v (set notation): grep patterns use RE2 syntax");
  }
  const unsupported = unsupportedConstruct(source);
  if (unsupported) {
    throw new GrepPatternError(
      `unsupported ${unsupported}: grep patterns use RE2 syntax, which matches in linear time without backreferences or lookaround`,
    );
  }
  let pattern: RE2JS;
  try {
    // translateRegExp maps JavaScript-only spellings (`(?<name>`, `\u{…}`, `\cA`) to RE2's.
    const bits = [...new Set(flags)].reduce((sum, flag) => sum | (flagBits[flag] ?? 0), 0);
    pattern = RE2JS.compile(RE2JS.translateRegExp(source), bits);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    throw new GrepPatternError(`invalid regular expression (RE2 syntax): ${error.message}`);
  }
  if (pattern.programSize() > MAX_GREP_PROGRAM_SIZE) {
    throw new GrepPatternError(
      `regular expression too large (RE2 program size ${pattern.programSize()}, at most ${MAX_GREP_PROGRAM_SIZE}): use smaller repeat counts`,
    );
  }
  return pattern;
}

export function grepMatches(grep: GrepMatcher, line: string): boolean {
  return typeof grep === "string" ? line.includes(grep) : grep.test(line);
}

/**
 * The first construct RE2 cannot match in linear time, described, or undefined. RE2 would refuse
 * most of them too, but with messages such as "invalid named capture" for a lookbehind, and
 * translateRegExp turns `\k<name>` into the literal `k<name>`, so they are named here first.
 */
function unsupportedConstruct(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "\\") {
      const next = source[i + 1] ?? "";
      if (!inClass && /[1-9]/.test(next))
        return `backreference \`\\${/^\d+/.exec(source.slice(i + 1))![0]}\``;
      if (!inClass && next === "k" && source[i + 2] === "<") return "named backreference `\\k<…>`";
      i++; // an escaped character never opens or closes anything
    } else if (inClass) {
      if (char === "]") inClass = false;
    } else if (char === "[") {
      inClass = true;
    } else if (char === "(" && source[i + 1] === "?") {
      const head = source.slice(i + 2, i + 4);
      if (head.startsWith("=")) return "lookahead `(?=`";
      if (head.startsWith("!")) return "negative lookahead `(?!`";
      if (head === "<=") return "lookbehind `(?<=`";
      if (head === "<!") return "negative lookbehind `(?<!`";
    }
  }
  return undefined;
}
