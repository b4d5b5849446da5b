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
import { directoryPaths, type MonorepoPaths } from "../manifest/monorepo-paths.ts";
import { pathConfinementErrors } from "../manifest/path-confinement.ts";
import { commitPaths } from "../sources/commit-paths.ts";
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
  /** Where the monorepo's paths lead (read once: the scenario check walks the same tree). */
  paths: MonorepoPaths;
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
    const root = await confinedDir(worktree.path, dir);
    const paths = directoryPaths(root);
    const manifestPath = await confinedManifest(paths, manifestFile);
    const text = await readFile(path.join(root, manifestPath), "utf8").catch(() => undefined);
    const manifest = manifestFrom(
      text,
      manifestFile,
      folderName(repo.canonical, dir),
      `worktree ${worktree.path}`,
    );
    await assertPathsConfined(manifest, manifestFile, paths);
    return {
      key: identity(repo.canonical, `worktree:${worktree.path}`, dir),
      repo,
      ref: worktree.ref,
      commit: worktree.commit,
      dir,
      callerWorktree: worktree.path,
      manifest,
      paths,
    };
  }

  const { ref, commit } = await deps.sources.resolveRef(repo, request.ref);
  const paths = commitPaths(repo.gitDir, commit, dir);
  const manifestPath = await confinedManifest(paths, manifestFile);
  const text = await deps.sources.readFile(repo, commit, path.posix.join(dir ?? ".", manifestPath));
  const manifest = manifestFrom(
    text,
    manifestFile,
    folderName(repo.canonical, dir),
    `commit ${commit.slice(0, 12)}`,
  );
  await assertPathsConfined(manifest, manifestFile, paths);
  return {
    key: identity(repo.canonical, ref, dir),
    repo,
    ref,
    commit,
    dir,
    manifest,
    paths,
  };
}

/** Where preview.yaml leads (a link to a file elsewhere in the monorepo is fine), or a 422. */
async function confinedManifest(paths: MonorepoPaths, file: string): Promise<string> {
  const resolution = await paths.resolve("preview.yaml");
  if (!resolution.inside) throw new ManifestError(file, [{ path: "", message: resolution.message }]);
  return resolution.path;
}

/** Every path the manifest names must lead inside the monorepo, symlinks followed (SPEC); a 422 otherwise. */
async function assertPathsConfined(manifest: Manifest, file: string, paths: MonorepoPaths): Promise<void> {
  const errors = await pathConfinementErrors(manifest, paths);
  if (errors.length > 0) throw new ManifestError(file, errors);
}

/** The caller's worktree's `dir`, which must itself stay inside the worktree. */
async function confinedDir(worktree: string, dir: string | null): Promise<string> {
  if (dir === null) return worktree;
  const resolution = await directoryPaths(worktree).resolve(dir);
  if (!resolution.inside) {
    throw new ValidationError(`dir ${resolution.message}`, {
      errors: [{ path: "dir", message: resolution.message }],
    });
  }
  return path.join(worktree, dir);
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
