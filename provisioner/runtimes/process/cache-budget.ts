/**
 * A size cap on the caches environments share: the shared install and build outputs and their
 * spares (shared-outputs.ts) and the package managers' stores (install-stores.ts). Each folder
 * directly inside a pool is one entry; an entry's last use is its folder's mtime, which each use
 * sets. Sizes are `du`'s: on a file system with reflinks a spare counts in full though it shares
 * its entry's blocks. Past the cap the least recently used entries go, never one in use (being
 * restored, or a store an install is running with). An entry is renamed out of sight before it
 * is removed, so a use that starts then finds nothing rather than half an entry; uses wait while
 * entries are chosen.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, rename, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { removeTree } from "../../remove-tree.ts";

const run = promisify(execFile);

/** 10 GiB: room for a few large monorepos' stores and builds. */
export const defaultCacheMaxBytes = 10 * 1024 ** 3;

export interface Eviction {
  path: string;
  bytes: number;
}

export class CacheBudget {
  readonly #inUse = new Map<string, number>();
  /** Set while entries are being chosen and moved out of sight: new uses wait for it. */
  #choosing: Promise<unknown> | undefined;
  /** The eviction running now and, at most, one more asked for meanwhile. */
  #running: Promise<Eviction[]> | undefined;
  #again: Promise<Eviction[]> | undefined;

  constructor(
    private readonly pools: readonly string[],
    readonly maxBytes: number = defaultCacheMaxBytes,
    private readonly onEvict: (eviction: Eviction) => void = () => undefined,
  ) {}

  /** Runs `work` with `entry` (a folder inside a pool) in use: no eviction removes it meanwhile. */
  async use<T>(entry: string, work: () => Promise<T>): Promise<T> {
    while (this.#choosing) await this.#choosing.catch(() => undefined);
    this.#inUse.set(entry, (this.#inUse.get(entry) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = (this.#inUse.get(entry) ?? 1) - 1;
      if (left > 0) this.#inUse.set(entry, left);
      else this.#inUse.delete(entry);
    }
  }

  inUse(entry: string): boolean {
    return this.#inUse.has(entry);
  }

  /** Removes least recently used entries until the pools fit the cap; says what it removed. */
  enforce(): Promise<Eviction[]> {
    if (!this.#running) {
      this.#running = this.#evict().finally(() => (this.#running = undefined));
      return this.#running;
    }
    // One more pass after the current one sees what was added meanwhile; later callers share it.
    this.#again ??= this.#running
      .catch(() => [])
      .then(() => {
        this.#again = undefined;
        return this.enforce();
      });
    return this.#again;
  }

  async #evict(): Promise<Eviction[]> {
    const entries = await this.#entries();
    let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    if (total <= this.maxBytes) return [];
    entries.sort((a, b) => a.usedAt - b.usedAt);
    const doomed: { hidden: string; path: string; bytes: number }[] = [];
    let release!: () => void;
    this.#choosing = new Promise<void>((resolve) => (release = resolve));
    try {
      for (const entry of entries) {
        if (total <= this.maxBytes) break;
        if (this.#inUse.has(entry.path)) continue;
        const name = `.evicted.${basename(entry.path)}.${randomBytes(4).toString("hex")}`;
        const hidden = join(dirname(entry.path), name);
        const moved = await rename(entry.path, hidden).then(
          () => true,
          () => false,
        );
        if (!moved) continue;
        total -= entry.bytes;
        doomed.push({ hidden, path: entry.path, bytes: entry.bytes });
      }
    } finally {
      this.#choosing = undefined;
      release();
    }
    for (const { hidden, path, bytes } of doomed) {
      await removeTree(hidden);
      this.onEvict({ path, bytes });
    }
    return doomed.map(({ path, bytes }) => ({ path, bytes }));
  }

  async #entries(): Promise<{ path: string; bytes: number; usedAt: number }[]> {
    const paths: string[] = [];
    for (const pool of this.pools) {
      const names = await readdir(pool).catch(() => []);
      // Dot names are temporary (an entry being written or removed): not counted, not evicted.
      for (const name of names.filter((n) => !n.startsWith("."))) paths.push(join(pool, name));
    }
    const sizes = await diskUsage(paths);
    return Promise.all(
      paths.map(async (path) => ({
        path,
        bytes: sizes.get(path) ?? 0,
        usedAt: await stat(path).then(
          (s) => s.mtimeMs,
          () => Infinity,
        ),
      })),
    );
  }
}

/** Bytes on disk below each of `paths` (a file linked from two of them counts for the first). */
async function diskUsage(paths: readonly string[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  if (paths.length === 0) return sizes;
  // du still prints what it could measure when a file vanishes or cannot be read.
  const stdout = await run("du", ["-s", "-B1", "--", ...paths], { maxBuffer: 16 * 1024 * 1024 }).then(
    (result) => result.stdout,
    (error: { stdout?: string }) => error.stdout ?? "",
  );
  for (const line of stdout.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab > 0) sizes.set(line.slice(tab + 1), Number.parseInt(line.slice(0, tab), 10) || 0);
  }
  return sizes;
}
