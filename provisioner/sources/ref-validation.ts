/**
 * Checks on caller-supplied repo, ref and dir before any of them reaches git. They are passed as
 * separate arguments (never through a shell), but git itself reads a leading `-` as an option and
 * `ext::` as "run this command", so both are refused here, ahead of git's own defences.
 */
import { ValidationError } from "../errors.ts";

export type RepoKind = "local" | "remote";

const allowedSchemes = new Set(["file:", "https:", "http:", "ssh:"]);

/** git check-ref-format's rules, plus: no leading `-` (it would be read as an option). */
export function validateRef(ref: string): void {
  const problem = refProblem(ref);
  if (problem) fail("ref", `invalid ref ${JSON.stringify(ref)}: ${problem}`);
}

function refProblem(ref: string): string | undefined {
  if (ref.length === 0) return "it is empty";
  if (ref.startsWith("-")) return 'it must not start with "-"';
  if (hasControlChar(ref) || ref.includes(" ")) return "it must not contain spaces or control characters";
  const bad = /[~^:?*[\\]/.exec(ref);
  if (bad) return `it must not contain ${JSON.stringify(bad[0])}`;
  if (ref.includes("..")) return 'it must not contain ".."';
  if (ref.includes("@{")) return 'it must not contain "@{"';
  if (ref === "@") return 'it must not be "@"';
  if (ref.startsWith("/") || ref.endsWith("/")) return 'it must not start or end with "/"';
  if (ref.includes("//")) return 'it must not contain "//"';
  if (ref.endsWith(".")) return 'it must not end with "."';
  for (const component of ref.split("/")) {
    if (component.startsWith(".")) return 'no part of it may start with "."';
    if (component.endsWith(".lock")) return 'no part of it may end with ".lock"';
  }
  return undefined;
}

/**
 * Accepts a local path, `file://`, `https://`, `http://`, `ssh://` or scp-style `user@host:path`;
 * returns which of local or remote it is. Refuses `<transport>::` (ext::, fd::, …) and a leading `-`.
 */
export function validateRepo(repo: string): RepoKind {
  const problem = repoProblem(repo);
  if (typeof problem === "string") fail("repo", `invalid repo ${JSON.stringify(repo)}: ${problem}`);
  return problem.kind;
}

function repoProblem(repo: string): string | { kind: RepoKind } {
  if (repo.trim().length === 0) return "it is empty";
  if (repo.startsWith("-")) return 'it must not start with "-"';
  if (hasControlChar(repo)) return "it must not contain control characters";
  if (/^[a-z][a-z0-9+.-]*::/i.test(repo)) return "transport helpers (<transport>::…) are not allowed";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(repo);
  if (scheme) return urlProblem(repo) ?? { kind: "remote" };
  const scp = /^([^@/:]+)@([^/:]+):(.*)$/.exec(repo);
  if (scp) {
    if (scp[2]?.startsWith("-")) return 'the host must not start with "-"';
    if (!scp[3]) return "the path after the host is missing";
    return { kind: "remote" };
  }
  if (repo.includes("::")) return "transport helpers (…::…) are not allowed";
  // git reads `host:path` as ssh; a local path whose first part has a colon must be written `./…`.
  const colon = repo.indexOf(":");
  if (colon !== -1 && !repo.slice(0, colon).includes("/")) {
    return "expected a local path, file://, https://, http://, ssh:// or user@host:path";
  }
  return { kind: "local" };
}

function urlProblem(repo: string): string | undefined {
  let url: URL;
  try {
    url = new URL(repo);
  } catch {
    return "it is not a valid URL";
  }
  if (!allowedSchemes.has(url.protocol)) {
    return `the ${url.protocol.slice(0, -1)} scheme is not allowed (use file, https, http or ssh)`;
  }
  if (url.protocol !== "file:" && !url.hostname) return "the host is missing";
  // Older ssh clients take `-oProxyCommand=…` as a host; git refuses it too, but not everywhere.
  if (url.hostname.startsWith("-") || decodeURIComponent(url.username).startsWith("-")) {
    return 'the host and user must not start with "-"';
  }
  return undefined;
}

/** The monorepo root inside the repo: relative, inside the repo, not an option. Returns it normalized. */
export function validateDir(dir: string): string {
  const fault = dirProblem(dir);
  if (fault) fail("dir", `invalid dir ${JSON.stringify(dir)}: ${fault}`);
  const parts = dir.split("/").filter((p) => p !== "" && p !== ".");
  return parts.length ? parts.join("/") : ".";
}

function dirProblem(dir: string): string | undefined {
  if (dir.length === 0) return "it is empty";
  if (dir.startsWith("/")) return "it must be relative to the repository root";
  if (dir.startsWith("-")) return 'it must not start with "-"';
  if (hasControlChar(dir) || dir.includes("\\"))
    return "it must not contain control characters or backslashes";
  if (dir.split("/").includes("..")) return 'it must not contain ".."';
  return undefined;
}

/** CR/LF and friends would split git's line-based protocols and our logs. */
function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function fail(path: string, message: string): never {
  throw new ValidationError(message, { errors: [{ path, message }] });
}
