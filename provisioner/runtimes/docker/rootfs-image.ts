/**
 * Images built without any registry: a root filesystem assembled from host files (executables,
 * the shared libraries `ldd` says they need, whole directories) and imported with `docker import`.
 * Tagged by a hash of their inputs, so an unchanged spec is never imported twice.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { lstat, readdir, readlink, realpath, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { RuntimeUnavailableError, errorMessage } from "../../errors.ts";
import { followProgress } from "./docker-progress.ts";
import { tarStream, type TarEntry } from "./tar-pack.ts";

const run = promisify(execFile);

interface Owned {
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface RootfsSpec {
  /** The image is tagged `<repository>:<hash of this spec>`. */
  repository: string;
  /** Host files copied to the same path; the shared libraries they need come along. */
  executables: string[];
  /** Host directories copied recursively (symlinks kept) to `to`; binaries in `libraryUsers` get their libraries. */
  trees?: (Owned & { from: string; to: string })[];
  /** Binaries (inside `trees`' sources) whose shared libraries must come along too. */
  libraryUsers?: string[];
  files?: (Owned & { path: string; content: string })[];
  dirs?: (Owned & { path: string })[];
  links?: { path: string; target: string }[];
  /** Dockerfile instructions applied on import: ENV, USER, WORKDIR, ENTRYPOINT, CMD. */
  changes?: string[];
  labels?: Record<string, string>;
}

/** The shared libraries (and the loader) a binary needs, as absolute host paths. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run("ldd", [binary]).catch((error: unknown) => {
    throw new RuntimeUnavailableError(
      `cannot list the shared libraries of ${binary} (ldd): ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  });
  const found: string[] = [];
  for (const line of stdout.split("\n")) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (match?.[1]) found.push(match[1]);
  }
  return found;
}

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(`${dir}/`);
}

async function treeEntries(from: string, to: string, owned: Owned): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const walk = async (dir: string, target: string): Promise<void> => {
    const names = (await readdir(dir)).sort();
    for (const name of names) {
      const source = join(dir, name);
      const dest = posix.join(target, name);
      const info = await lstat(source);
      const base = { name: dest.slice(1), uid: owned.uid ?? 0, gid: owned.gid ?? 0 };
      if (info.isSymbolicLink()) entries.push({ ...base, type: "symlink", target: await readlink(source) });
      else if (info.isDirectory()) {
        entries.push({ ...base, type: "dir", mode: info.mode & 0o7777 });
        await walk(source, dest);
      } else if (info.isFile()) {
        entries.push({ ...base, type: "file", source, size: info.size, mode: info.mode & 0o7777 });
      }
    }
  };
  entries.push({
    name: to.slice(1),
    type: "dir",
    mode: owned.mode ?? 0o755,
    uid: owned.uid ?? 0,
    gid: owned.gid ?? 0,
  });
  await walk(from, to);
  return entries;
}

/** Every entry of the root filesystem, parents first. */
async function rootfsEntries(spec: RootfsSpec): Promise<TarEntry[]> {
  const trees = spec.trees ?? [];
  const hostFiles = new Set<string>(spec.executables);
  for (const binary of [...spec.executables, ...(spec.libraryUsers ?? [])]) {
    for (const lib of await sharedLibraries(binary)) {
      if (!trees.some((t) => inside(lib, t.from))) hostFiles.add(lib);
    }
  }
  const entries: TarEntry[] = [];
  const dirs = new Map<string, TarEntry>();
  const addParents = (path: string) => {
    const parts = posix.dirname(path).split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (!dirs.has(dir)) dirs.set(dir, { name: dir, type: "dir", mode: 0o755 });
    }
  };
  for (const dir of spec.dirs ?? []) {
    addParents(dir.path);
    dirs.set(dir.path.slice(1), {
      name: dir.path.slice(1),
      type: "dir",
      mode: dir.mode ?? 0o755,
      uid: dir.uid ?? 0,
      gid: dir.gid ?? 0,
    });
  }
  for (const file of [...hostFiles].sort()) {
    addParents(file);
    // Copy the library itself, at the path the loader looks for, whatever symlinks lead to it.
    const real = await realpath(file);
    const info = await stat(real);
    entries.push({
      name: file.slice(1),
      type: "file",
      source: real,
      size: info.size,
      mode: info.mode & 0o7777,
    });
  }
  for (const tree of trees) {
    addParents(tree.to);
    entries.push(...(await treeEntries(tree.from, tree.to, tree)));
  }
  for (const file of spec.files ?? []) {
    addParents(file.path);
    entries.push({
      name: file.path.slice(1),
      type: "content",
      content: file.content,
      mode: file.mode ?? 0o644,
      uid: file.uid ?? 0,
      gid: file.gid ?? 0,
    });
  }
  for (const link of spec.links ?? []) {
    addParents(link.path);
    entries.push({ name: link.path.slice(1), type: "symlink", target: link.target });
  }
  return [...[...dirs.values()].sort((a, b) => a.name.localeCompare(b.name)), ...entries];
}

/**
 * Labels do not count (a shared image keeps the labels of whoever built it first). Host files are hashed by path, size and modification time rather than content: hashing a
 * 100 MB node binary on every start costs more than it protects against.
 */
async function specHash(spec: RootfsSpec, entries: TarEntry[]): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify({ ...spec, files: undefined, labels: undefined }));
  for (const entry of entries) {
    hash.update(`\0${entry.name}\0${entry.type}\0${entry.mode ?? ""}\0${entry.uid ?? 0}`);
    if (entry.type === "file") {
      const info = await stat(entry.source);
      hash.update(`\0${info.size}\0${info.mtimeMs}`);
    } else if (entry.type === "content") hash.update(entry.content);
    else if (entry.type === "symlink") hash.update(entry.target);
  }
  return hash.digest("hex").slice(0, 16);
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

const pending = new Map<string, Promise<string>>();

/** The image's reference, importing it first unless an image with the same spec hash exists. */
export async function ensureRootfsImage(docker: Docker, spec: RootfsSpec): Promise<string> {
  const entries = await rootfsEntries(spec);
  const tag = await specHash(spec, entries);
  const ref = `${spec.repository}:${tag}`;
  if (await imageExists(docker, ref)) return ref;
  let importing = pending.get(ref);
  if (!importing) {
    importing = (async () => {
      const labels = Object.entries(spec.labels ?? {}).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`);
      const stream = await docker.importImage(tarStream(entries), {
        repo: spec.repository,
        tag,
        changes: [...(spec.changes ?? []), ...labels],
      });
      await followProgress(docker, stream);
      return ref;
    })().finally(() => pending.delete(ref));
    pending.set(ref, importing);
  }
  return importing;
}
