/**
 * Where an environment's code comes from. A local repository is used in place; a URL is mirrored
 * once into the cache dir and fetched on every later use. Nothing here checks anything out.
 */
import { randomUUID } from "node:crypto";
import { lstat, mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { Mutex } from "async-mutex";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { GitError, redactCredentials, runGit } from "./git.ts";
import { validateDir, validateRef, validateRepo } from "./ref-validation.ts";
import { exists, isDirectory } from "./fs-checks.ts";
import { objectReader } from "./object-reader.ts";
import { canonicalUrl, mirrorName } from "./repo-url.ts";

export interface ResolvedRepo {
  /** The repository's common git dir (`.git` of a working copy, a bare repo, or our mirror). */
  gitDir: string;
  /** Identity: the repository's absolute path, or its URL without credentials. */
  canonical: string;
  isRemote: boolean;
}

export interface RepoSources {
  /** Throws ValidationError (bad or missing repo) or SourceError (clone/fetch failed). */
  resolve(repo: string, signal?: AbortSignal): Promise<ResolvedRepo>;
  /** `ref` defaults to HEAD, reported as its branch name when it is one. Throws NotFoundError. */
  resolveRef(
    repo: ResolvedRepo,
    ref: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ ref: string; commit: string }>;
  /** A file's text at a commit, or undefined when there is no such file. */
  readFile(
    repo: ResolvedRepo,
    commit: string,
    file: string,
    signal?: AbortSignal,
  ): Promise<string | undefined>;
  /** Throws ValidationError (path `dir`); returns the dir normalized. */
  validateDir(dir: string): string;
}

export interface RepoSourcesDeps {
  /** Mirrors of remote repositories live here, one directory per canonical URL. */
  cacheDir: string;
  logger: Logger;
}

/** How long a local repository's resolution is reused. */
const recentMs = 30_000;

/**
 * What makes `dir` a repository's top level, as device, inode and birth time: its `.git` (a
 * folder, or a linked worktree's file naming its repository), or a bare repository's HEAD;
 * undefined: neither (not a repository, or a folder inside one). The birth time tells a new `.git`
 * that got the inode number of the one removed before it (ext4 hands freed ones out again at
 * once); unlike the change time, commits and checkouts leave it be.
 */
async function gitEntry(dir: string): Promise<string | undefined> {
  for (const name of [".git", "HEAD"]) {
    const found = await lstat(path.join(dir, name), { bigint: true }).catch(() => undefined);
    if (found) return `${name}:${found.dev}:${found.ino}:${found.birthtimeNs}`;
  }
  return undefined;
}

export function createRepoSources({ cacheDir, logger }: RepoSourcesDeps): RepoSources {
  const locks = new Map<string, Mutex>();
  const lockFor = (key: string) => {
    let lock = locks.get(key);
    if (!lock) locks.set(key, (lock = new Mutex()));
    return lock;
  };

  async function resolveRemote(repo: string, signal?: AbortSignal): Promise<ResolvedRepo> {
    const canonical = canonicalUrl(repo);
    const name = mirrorName(canonical);
    const gitDir = path.join(cacheDir, name);
    // One clone per URL even when many environments of it are created at once.
    await lockFor(canonical).runExclusive(async () => {
      if (await exists(path.join(gitDir, "HEAD"))) {
        logger.debug({ repo: canonical }, "fetching repository");
        // The URL may carry a fresh token; credentials are not part of the identity.
        await runGit([`--git-dir=${gitDir}`, "config", "remote.origin.url", repo], { signal });
        await runGit([`--git-dir=${gitDir}`, "fetch", "--prune", "--quiet", "origin"], { signal });
        return;
      }
      logger.info({ repo: canonical, gitDir }, "cloning repository");
      await mkdir(cacheDir, { recursive: true });
      await removeLeftovers(cacheDir, name);
      // Clone beside the final path and rename, so a crash never leaves a half mirror to fetch into.
      const partial = `${gitDir}.partial-${randomUUID().slice(0, 8)}`;
      try {
        await runGit(["clone", "--mirror", "--quiet", "--", repo, partial], { signal });
        await rename(partial, gitDir);
      } catch (error) {
        await rm(partial, { recursive: true, force: true });
        throw error;
      }
    });
    return { gitDir, canonical, isRemote: true };
  }

  /**
   * Local repositories resolved lately, by path, with the identity of what made the path one (see
   * gitEntry): a create and the redeploys after it ask again and again, and each time git ran (a
   * process, ~30 ms before the checkout). A path that is another repository now, or none, is asked again.
   */
  const recent = new Map<string, { resolved: ResolvedRepo; entry: string; at: number }>();

  async function resolveLocal(repo: string, signal?: AbortSignal): Promise<ResolvedRepo> {
    const absolute = path.resolve(repo);
    const entry = await gitEntry(absolute);
    const kept = recent.get(absolute);
    if (kept && kept.entry === entry && Date.now() - kept.at < recentMs) return kept.resolved;
    recent.delete(absolute);
    const missing = (why: string) =>
      new ValidationError(`no git repository at ${JSON.stringify(absolute)}: ${why}`, {
        errors: [{ path: "repo", message: `no git repository at ${JSON.stringify(absolute)}: ${why}` }],
      });
    if (!(await isDirectory(absolute))) throw missing("no such directory");
    let lines: string[];
    try {
      const args = ["rev-parse", "--path-format=absolute", "--git-common-dir", "--show-prefix"];
      lines = (await runGit(["-C", absolute, ...args], { signal })).stdout.split("\n");
    } catch (error) {
      if (error instanceof GitError)
        throw missing(error.stderr.trim().split("\n")[0] ?? "not a git repository");
      throw error;
    }
    const gitDir = lines[0] ?? "";
    const prefix = lines[1] ?? "";
    if (prefix) {
      const root = absolute.slice(0, -prefix.replace(/\/$/, "").length - 1);
      const message = `${JSON.stringify(absolute)} is inside the git repository at ${JSON.stringify(root)}; pass that as repo and ${JSON.stringify(prefix.replace(/\/$/, ""))} as dir`;
      throw new ValidationError(message, { errors: [{ path: "repo", message }] });
    }
    // Every worktree of a repository shares one identity: the main working copy (or the bare repo).
    const canonical = path.basename(gitDir) === ".git" ? path.dirname(gitDir) : gitDir;
    const resolved: ResolvedRepo = { gitDir, canonical, isRemote: false };
    if (entry) recent.set(absolute, { resolved, entry, at: Date.now() });
    return resolved;
  }

  return {
    async resolve(repo, signal) {
      return validateRepo(repo) === "remote" ? resolveRemote(repo, signal) : resolveLocal(repo, signal);
    },

    async resolveRef(repo, ref, signal) {
      // Through the repository's `cat-file --batch`, which looks the name up as `rev-parse --verify`
      // does (the same dwim rules and peeling; "missing" where rev-parse exits 1) and reads refs
      // from disk at every lookup, so a kept process sees a branch that moved.
      const reader = objectReader(repo.gitDir);
      if (ref === undefined) {
        const head = await reader.read("HEAD^{commit}", signal).catch(() => undefined);
        if (!head) throw new NotFoundError(`${redactCredentials(repo.canonical)} has no commits on HEAD`);
        const branch = await runGit([`--git-dir=${repo.gitDir}`, "symbolic-ref", "-q", "--short", "HEAD"], {
          signal,
        }).catch(() => undefined);
        return { ref: branch?.stdout.trim() || head.oid, commit: head.oid };
      }
      // Also what keeps the line one name: no spaces, control characters or a leading "-".
      validateRef(ref);
      const commit = await reader.read(`${ref}^{commit}`, signal);
      if (!commit) {
        const message = `ref ${JSON.stringify(ref)} not found in ${redactCredentials(repo.canonical)}`;
        throw new NotFoundError(message, { errors: [{ path: "ref", message }] });
      }
      return { ref, commit: commit.oid };
    },

    async readFile(repo, commit, file, signal) {
      assertCommit(commit);
      const normalized = path.posix.normalize(file).replace(/^\.\//, "");
      if (/^(\/|\.\.(\/|$))/.test(normalized) || /[\n\r]/.test(normalized)) {
        throw new ValidationError(`invalid path ${JSON.stringify(file)}`, {
          errors: [{ path: "path", message: `invalid path ${JSON.stringify(file)}` }],
        });
      }
      // One `cat-file --batch` for every read of this repository: "<name> missing" is no error.
      const object = await objectReader(repo.gitDir).read(`${commit}:${normalized}`, signal);
      return object?.type === "blob" ? object.data.toString("utf8") : undefined;
    },

    validateDir,
  };
}

/** Callers pass commits from resolveRef: full hex, so they can never be read as options. */
export function assertCommit(commit: string): void {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) {
    throw new ValidationError(`invalid commit ${JSON.stringify(commit)}: expected a full hex object id`, {
      errors: [{ path: "commit", message: `expected a full hex object id (got ${JSON.stringify(commit)})` }],
    });
  }
}

async function removeLeftovers(cacheDir: string, name: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    if (entry.startsWith(`${name}.partial-`))
      await rm(path.join(cacheDir, entry), { recursive: true, force: true });
  }
}
