/**
 * A Dockerfile's instructions as the classic builder numbers its steps ("Step 9/25 : …"): one per
 * instruction, in file order across stages, after parser directives, comments, blank lines and
 * line continuations. Enough to tell how many leading steps two Dockerfiles have in common.
 */

/** Each instruction, continuation lines joined, whitespace collapsed, keyword upper-cased. */
export function dockerfileSteps(content: string): string[] {
  const lines = content.split(/\r?\n/);
  let escape = "\\";
  let first = 0;
  // Parser directives (`# escape=`, `# syntax=`) only count before anything else.
  for (; first < lines.length; first++) {
    const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[first]!.trim());
    if (!directive) break;
    if (directive[1]!.toLowerCase() === "escape") escape = directive[2]!;
  }
  const steps: string[] = [];
  let current = "";
  for (const raw of lines.slice(first)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const continues = line.endsWith(escape);
    current += ` ${continues ? line.slice(0, -escape.length) : line}`;
    if (continues) continue;
    steps.push(normalize(current));
    current = "";
  }
  if (current.trim() !== "") steps.push(normalize(current));
  return steps;
}

function normalize(instruction: string): string {
  const [keyword = "", ...rest] = instruction.trim().split(/\s+/);
  return [keyword.toUpperCase(), ...rest].join(" ");
}

/**
 * How many leading steps of `b` the builder can take from `a`'s layers. From another context or
 * with other build args, files and argument values may differ: only the steps before the first
 * COPY, ADD or ARG count then.
 */
export function sharedSteps(a: string[], b: string[], sameInputs: boolean): number {
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) {
    if (!sameInputs && /^(COPY|ADD|ARG)\b/.test(a[shared]!)) break;
    shared++;
  }
  return shared;
}
