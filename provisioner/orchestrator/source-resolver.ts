/**
 * Turns a create request into everything needed to run it — the repository, the commit, the
 * validated manifest — without creating anything, so bad input changes nothing.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { CreateEnvironmentRequest, FlagValue } from "../environments/environment-schema.ts";
import { ManifestError, ValidationError, type FieldError } from "../errors.ts";
import { parseManifest } from "../manifest/load-manifest.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import { validateRef, validateRepo } from "../sources/ref-validation.ts";
import type { RepoSources, ResolvedRepo } from "../sources/repo-source.ts";
import type { WorktreeManager } from "../sources/worktree-manager.ts";

export interface ResolvedSource {
  /** Identity: one environment per (repo, ref, dir). */
  key: string;
  repo: ResolvedRepo;
  ref: string;
  commit: string;
  dir: string | null;
  /** Set when the request runs an existing worktree in place. */
  callerWorktree?: string;
  manifest: Manifest;
}

export interface SourceResolverDeps {
  sources: RepoSources;
  worktrees: WorktreeManager;
}

export async function resolveSource(
  request: Pick<CreateEnvironmentRequest, "repo" | "ref" | "dir" | "worktree">,
  deps: SourceResolverDeps,
): Promise<ResolvedSource> {
  validateRepo(request.repo);
  if (request.ref !== undefined) validateRef(request.ref);
  const dir = normalizeDir(request.dir, deps.sources);
  const repo = await deps.sources.resolve(request.repo);
  const manifestFile = path.posix.join(dir ?? ".", "preview.yaml");

  if (request.worktree !== undefined) {
    if (request.ref !== undefined) {
      throw new ValidationError("ref and worktree exclude each other", {
        errors: [{ path: "worktree", message: "a worktree runs as it is; leave out ref" }],
      });
    }
    const worktree = await deps.worktrees.inspectWorktree(request.worktree);
    const text = await readFile(path.join(worktree.path, manifestFile), "utf8").catch(() => undefined);
    return {
      key: identity(repo.canonical, `worktree:${worktree.path}`, dir),
      repo,
      ref: worktree.ref,
      commit: worktree.commit,
      dir,
      callerWorktree: worktree.path,
      manifest: manifestFrom(
        text,
        manifestFile,
        folderName(repo.canonical, dir),
        `worktree ${worktree.path}`,
      ),
    };
  }

  const { ref, commit } = await deps.sources.resolveRef(repo, request.ref);
  const text = await deps.sources.readFile(repo, commit, manifestFile);
  return {
    key: identity(repo.canonical, ref, dir),
    repo,
    ref,
    commit,
    dir,
    manifest: manifestFrom(
      text,
      manifestFile,
      folderName(repo.canonical, dir),
      `commit ${commit.slice(0, 12)}`,
    ),
  };
}

/** Checks requested flag values against the manifest's declarations; returns defaults merged with them. */
export function initialFlags(
  manifest: Manifest,
  requested: Record<string, FlagValue> = {},
): Record<string, FlagValue> {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(requested)) {
    const spec = manifest.flags[key];
    if (!spec)
      errors.push({
        path: `flags.${key}`,
        message: `unknown flag; declared flags: ${Object.keys(manifest.flags).join(", ") || "none"}`,
      });
    else if (typeof value !== spec.type)
      errors.push({
        path: `flags.${key}`,
        message: `expected a ${spec.type} (got ${JSON.stringify(value)})`,
      });
  }
  if (errors.length) throw new ValidationError("invalid flag values", { errors });
  return {
    ...Object.fromEntries(Object.entries(manifest.flags).map(([key, spec]) => [key, spec.default])),
    ...requested,
  };
}

function manifestFrom(text: string | undefined, file: string, folder: string, where: string): Manifest {
  if (text === undefined) {
    throw new ManifestError(file, [{ path: "", message: `no preview.yaml found in ${where}` }]);
  }
  return parseManifest(text, file, folder);
}

function normalizeDir(dir: string | undefined, sources: RepoSources): string | null {
  if (dir === undefined) return null;
  const normalized = sources.validateDir(dir);
  return normalized === "." ? null : normalized;
}

function identity(repo: string, ref: string, dir: string | null): string {
  return JSON.stringify([repo, ref, dir ?? "."]);
}

function folderName(canonical: string, dir: string | null): string {
  const base = dir
    ? path.posix.basename(dir)
    : path.basename(canonical.replace(/\.git$/, "").replace(/\/+$/, ""));
  return base || "app";
}
