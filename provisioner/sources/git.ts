/**
 * The one place previewd runs git: an argument array (never a shell) and a hardened environment,
 * because repositories and refs come from API callers.
 */
import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { SourceError } from "../errors.ts";

export interface GitOptions {
  cwd?: string;
  signal?: AbortSignal;
  /** Written to git's stdin (e.g. `cat-file --batch` requests). */
  input?: string;
  /** Set over the hardened environment: a temporary index (`GIT_INDEX_FILE`), say. */
  env?: Record<string, string>;
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

/**
 * Transports git may use. `ext::`/`fd::` run commands, so they are out; `git://` is unauthenticated
 * and unencrypted, and validateRepo refuses it too. This list overrides any `protocol.*.allow` config.
 */
export const ALLOWED_PROTOCOLS = "file:https:http:ssh";

/**
 * Config forced on every call. previewd never commits, so hooks would only ever run as a side effect
 * of checkout/fetch (post-checkout, reference-transaction): a cloned or caller-named repo must not
 * run code in previewd's process tree. fsmonitor is a command named by repo config, so off as well.
 */
const forcedConfig = ["core.hooksPath=/dev/null", "core.fsmonitor=false", "protocol.ext.allow=never"];

/** The forced config as git's leading arguments, for a script that runs git itself. */
export const forcedConfigArgs: readonly string[] = forcedConfig.flatMap((c) => ["-c", c]);

/** Variables that would point git at another repository than the one we name with -C/--git-dir. */
const repoLocatingVars = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_COMMON_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
];

export function gitEnvironment(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of [...repoLocatingVars, "GIT_ASKPASS", "SSH_ASKPASS"]) delete env[name];
  // A service has nobody at a terminal: fail fast instead of waiting for a password forever.
  env.GIT_TERMINAL_PROMPT = "0";
  env.SSH_ASKPASS_REQUIRE = "never";
  // An explicit GIT_SSH(_COMMAND) wins; note that ours overrides a user's core.sshCommand config.
  if (!env.GIT_SSH && !env.GIT_SSH_COMMAND) env.GIT_SSH_COMMAND = "ssh -o BatchMode=yes";
  env.GIT_PROTOCOL_FROM_USER = "0";
  env.GIT_ALLOW_PROTOCOL = ALLOWED_PROTOCOLS;
  // Stable, English messages: they end up in API errors and tests match on them.
  env.LC_ALL = "C";
  return env;
}

/** git with the forced config and hardened environment; stdin, stdout and stderr are pipes. */
export function spawnGit(
  args: string[],
  options: Omit<GitOptions, "input"> = {},
): ChildProcessByStdio<Writable, Readable, Readable> {
  return spawn("git", [...forcedConfigArgs, ...args], {
    cwd: options.cwd,
    env: { ...gitEnvironment(), ...options.env },
    signal: options.signal,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

export function runGit(args: string[], options: GitOptions = {}): Promise<GitResult> {
  const command = gitCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawnGit(args, options);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.name === "AbortError") reject(new SourceError(`${command} was aborted`, { cause: error }));
      else if (error.code === "ENOENT") reject(new SourceError("git is not installed", { cause: error }));
      else reject(new SourceError(`${command} could not start: ${error.message}`, { cause: error }));
    });
    child.on("close", (code, signal) => {
      const out = Buffer.concat(stdout).toString("utf8");
      const err = Buffer.concat(stderr).toString("utf8");
      if (code === 0) return resolve({ stdout: out, stderr: err });
      const detail = redactCredentials(err.trim()).slice(-2000) || `exit ${code ?? signal}`;
      reject(new GitError(`${command} failed: ${detail}`, code, err));
    });
    // EPIPE when git exits before reading its input is reported through "close" instead.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

/** A git command that ran and exited non-zero; `exitCode` lets callers tell "missing" (1/128) apart. */
export class GitError extends SourceError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** `git <subcommand>`, for messages. */
export function gitCommand(args: string[]): string {
  return `git ${subcommand(args)}`.trim();
}

/** The first argument that is neither an option nor the value of -C/-c, for messages. */
function subcommand(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "-C" || arg === "-c") i++;
    else if (!arg.startsWith("-")) return arg;
  }
  return "";
}

/** `https://user:token@host` → `https://user:***@host`, for messages and logs. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, "$1:***@");
}
