/**
 * MonorepoPaths of a commit that is not checked out: symlinks are followed in the git tree
 * itself (mode 120000 entries, whose blob is the link's target), so a create request is checked
 * before anything exists. A link to an absolute path leads outside whatever its target: the
 * checkout's own location is not known yet, and a repository has no business naming host paths.
 */
import path from "node:path";
import { type MonorepoPaths, type PathResolution, outside, symlinkLoop } from "../manifest/monorepo-paths.ts";
import { runGit } from "./git.ts";
import { assertCommit } from "./repo-source.ts";

interface TreeEntry {
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
  const trees = new Map<string, Promise<Map<string, TreeEntry>>>();
  const targets = new Map<string, Promise<string>>();
  const git = (args: string[]) => runGit([`--git-dir=${gitDir}`, "--literal-pathspecs", ...args]);

  const rootParts = (dir ?? "").split("/").filter((p) => p && p !== ".");
  const prefix = rootParts.join("/");
  let subtree: Promise<Map<string, Map<string, TreeEntry>> | undefined> | undefined;

  /**
   * Every folder at or under the monorepo root from one `git ls-tree -r -t` (a walk asks for
   * several; one git process each cost ~100 ms on a loaded machine); undefined when the root
   * is no folder of the commit (missing, or a link), so the walk asks folder by folder.
   */
  function listSubtree(): Promise<Map<string, Map<string, TreeEntry>> | undefined> {
    subtree ??= git([
      "ls-tree",
      "-r",
      "-t",
      "-z",
      "--full-tree",
      commit,
      ...(prefix ? ["--", `${prefix}/`] : []),
    ]).then(({ stdout }) => {
      const folders = new Map<string, Map<string, TreeEntry>>(prefix ? [] : [["", new Map()]]);
      for (const line of stdout.split("\0")) {
        if (!line) continue;
        const [name, entry, full] = parseEntry(line);
        const parent = path.posix.dirname(full);
        folders.get(parent === "." ? "" : parent)?.set(name, entry);
        if (entry.type === "tree" && within(full)) folders.set(full, new Map());
      }
      return folders.has(prefix) ? folders : undefined;
    });
    return subtree;
  }

  const within = (key: string) => !prefix || key === prefix || key.startsWith(`${prefix}/`);

  /** The entries of one folder of the commit (empty when there is no such folder). */
  async function folder(parts: readonly string[]): Promise<Map<string, TreeEntry>> {
    const key = parts.join("/");
    if (within(key)) {
      const listed = await listSubtree();
      if (listed) return listed.get(key) ?? new Map();
    }
    let entries = trees.get(key);
    if (!entries) {
      entries = git(["ls-tree", "-z", "--full-tree", commit, ...(key ? ["--", `${key}/`] : [])]).then(
        ({ stdout }) => {
          const entries = new Map<string, TreeEntry>();
          for (const line of stdout.split("\0")) {
            if (!line) continue;
            const [name, entry] = parseEntry(line);
            entries.set(name, entry);
          }
          return entries;
        },
      );
      trees.set(key, entries);
    }
    return entries;
  }

  function linkTarget(object: string): Promise<string> {
    let target = targets.get(object);
    if (!target) targets.set(object, (target = git(["cat-file", "blob", object]).then((r) => r.stdout)));
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

/** [name, entry, path from the repository's top]. */
function parseEntry(line: string): [string, TreeEntry, string] {
  // "<mode> SP <type> SP <object> TAB <path>"; with -z the path is not quoted.
  const tab = line.indexOf("\t");
  const [mode = "", type = "", object = ""] = line.slice(0, tab).split(" ");
  const full = line.slice(tab + 1);
  return [path.posix.basename(full), { mode, type, object }, full];
}
