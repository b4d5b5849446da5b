/**
 * MonorepoPaths of a commit that is not checked out: symlinks are followed in the git tree
 * itself (mode 120000 entries, whose blob is the link's target), so a create request is checked
 * before anything exists. A link to an absolute path leads outside whatever its target: the
 * checkout's own location is not known yet, and a repository has no business naming host paths.
 */
import { type MonorepoPaths, type PathResolution, outside, symlinkLoop } from "../manifest/monorepo-paths.ts";
import { SourceError } from "../errors.ts";
import { objectReader } from "./object-reader.ts";
import { assertCommit } from "./repo-source.ts";

export interface TreeEntry {
  mode: string;
  type: string;
  object: string;
}

/** Repository components a walk ended on, and the last link it followed. */
interface Walked {
  parts: string[];
  via: string | undefined;
}

/** Like the kernel's limit (ELOOP). */
const MAX_LINKS = 40;

/** `dir` is the monorepo root inside the repository (posix, "" or undefined for the top). */
export function commitPaths(gitDir: string, commit: string, dir?: string | null): MonorepoPaths {
  assertCommit(commit);
  // Trees and link targets are read by object id, from the commit down: no path reaches git, so
  // no name is read as a pathspec or revision syntax, and each folder costs a round trip to the
  // repository's one `cat-file --batch` instead of a git process.
  const reader = objectReader(gitDir);
  const idBytes = commit.length / 2;
  const trees = new Map<string, Promise<Map<string, TreeEntry>>>();
  const targets = new Map<string, Promise<string>>();
  const rootParts = (dir ?? "").split("/").filter((p) => p && p !== ".");

  async function readObject(name: string, type: string): Promise<Buffer> {
    const object = await reader.read(name);
    if (object?.type !== type) {
      throw new SourceError(`${type} ${name} not found in ${gitDir}${object ? ` (a ${object.type})` : ""}`);
    }
    return object.data;
  }

  /** The entries of one folder of the commit (empty when there is no such folder). */
  function folder(parts: readonly string[]): Promise<Map<string, TreeEntry>> {
    const key = parts.join("/");
    let entries = trees.get(key);
    if (!entries) {
      entries = (async () => {
        if (parts.length === 0) return parseTree(await readObject(`${commit}^{tree}`, "tree"), idBytes);
        const entry = (await folder(parts.slice(0, -1))).get(parts[parts.length - 1]!);
        if (entry?.type !== "tree") return new Map<string, TreeEntry>();
        return parseTree(await readObject(entry.object, "tree"), idBytes);
      })();
      trees.set(key, entries);
    }
    return entries;
  }

  function linkTarget(object: string): Promise<string> {
    let target = targets.get(object);
    if (!target) targets.set(object, (target = readObject(object, "blob").then((b) => b.toString("utf8"))));
    return target;
  }

  /**
   * Walks `rest` from `start` (both in repository components), following links as the kernel
   * would; a missing component ends the lookups (what follows cannot be a link).
   */
  async function walk(start: string[], rest: string[]): Promise<Walked | PathResolution> {
    const resolved = [...start];
    let via: string | undefined;
    const queue = [...rest];
    let links = 0;
    while (queue.length > 0) {
      const part = queue.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (resolved.length === 0) return outside(`${rest.join("/")} climbs above the repository`);
        resolved.pop();
        continue;
      }
      const entry = (await folder(resolved)).get(part);
      if (entry?.mode === "120000") {
        const link = [...resolved, part].join("/");
        if (++links > MAX_LINKS) return symlinkLoop(rest.join("/"));
        const target = await linkTarget(entry.object);
        via = `symlink ${link} -> ${target}`;
        if (target.startsWith("/")) return outside(via);
        queue.unshift(...target.split("/"));
        continue;
      }
      resolved.push(part);
    }
    return { parts: resolved, via };
  }

  let root: Promise<Walked | PathResolution> | undefined;

  return {
    async resolve(file) {
      root ??= walk([], rootParts);
      const top = await root;
      if ("inside" in top) return top;
      const leads = await walk(top.parts, file.split("/"));
      if ("inside" in leads) return leads;
      const within =
        leads.parts.length >= top.parts.length && top.parts.every((p, i) => leads.parts[i] === p);
      if (!within)
        return outside(`${leads.via ?? file} leads to ${leads.parts.join("/") || "the repository root"}`);
      return { inside: true, path: leads.parts.slice(top.parts.length).join("/") || "." };
    },
  };
}

/** A tree object's entries: "<mode> SP <name> NUL <binary id>" each, sorted by git. */
export function parseTree(data: Buffer, idBytes: number): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(32, at);
    const nul = data.indexOf(0, space + 1);
    if (space === -1 || nul === -1 || nul + 1 + idBytes > data.length) {
      throw new SourceError("git returned a malformed tree object");
    }
    // ls-tree's spelling: trees are "040000" in it, "40000" in the object.
    const mode = data.toString("latin1", at, space).padStart(6, "0");
    const name = data.toString("utf8", space + 1, nul);
    const object = data.toString("hex", nul + 1, nul + 1 + idBytes);
    entries.set(name, { mode, type: typeOfMode(mode), object });
    at = nul + 1 + idBytes;
  }
  return entries;
}

function typeOfMode(mode: string): string {
  if (mode === "040000") return "tree";
  if (mode === "160000") return "commit";
  return "blob";
}
