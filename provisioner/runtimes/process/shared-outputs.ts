/**
 * Install and build outputs shared between environments, keyed by content hash: an install of
 * lockfiles that another environment already installed, or a build of an app whose inputs another
 * environment already built, becomes a copy instead of a run. An entry is a directory
 * `<dir>/<key>/` that mirrors the monorepo root and holds what the step left there (files git
 * does not track: `node_modules/`, `dist/`, …). It is written under a temporary name and renamed,
 * so a crash or a concurrent writer never leaves half an entry; the oldest entries beyond
 * `maxEntries` are removed. Copies (reflinks where the filesystem has them), never hard links: an
 * environment that writes into its `node_modules` must not change another's.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { errorMessage } from "../../errors.ts";
import type { RuntimeContext } from "../runtime.ts";

const run = promisify(execFile);

/**
 * What git does not track below `rootDir` (ignored files included), untracked directories
 * collapsed to one entry each (`node_modules`, `apps/web/dist`), relative to `rootDir`.
 */
export async function untrackedEntries(rootDir: string): Promise<string[]> {
  const { stdout } = await run("git", ["-C", rootDir, "ls-files", "--others", "--directory", "-z"], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout
    .split("\0")
    .filter(Boolean)
    .map((entry) => entry.replace(/\/+$/, ""));
}

export class SharedOutputs {
  constructor(
    private readonly dir: string,
    private readonly maxEntries = 48,
  ) {}

  /** Copies entry `key` over `rootDir`. False when there is no such entry. */
  async restore(key: string, rootDir: string): Promise<boolean> {
    const entry = join(this.dir, key);
    if (!(await exists(entry))) return false;
    try {
      // `<entry>/.` copies the entry's contents, merging into the directories already there.
      await run("cp", ["-a", "--reflink=auto", "--", `${entry}/.`, `${rootDir}/`]);
    } catch {
      return false; // Evicted meanwhile, or a full disk: the step runs instead and overwrites.
    }
    const now = new Date();
    await utimes(entry, now, now).catch(() => undefined); // Recently used: evicted last.
    return true;
  }

  /** Stores `paths` (relative to `rootDir`) as entry `key`, unless another environment stored it first. */
  async save(key: string, rootDir: string, listPaths: Promise<readonly string[]>): Promise<void> {
    const entry = join(this.dir, key);
    const paths = await listPaths;
    if (paths.length === 0 || (await exists(entry))) return;
    const temporary = join(this.dir, `.${key}.${randomBytes(6).toString("hex")}`);
    await mkdir(temporary, { recursive: true });
    try {
      // --parents keeps each path's directories: `apps/web/dist` lands at `<temporary>/apps/web/dist`.
      await run("cp", ["-a", "--reflink=auto", "--parents", "-t", temporary, "--", ...paths], {
        cwd: rootDir,
      });
      await rename(temporary, entry).catch(async (error: NodeJS.ErrnoException) => {
        // Another environment stored the same outputs meanwhile: theirs are as good as ours.
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
    await this.#evict();
  }

  async #evict(): Promise<void> {
    const all = await readdir(this.dir);
    // A temporary entry an hour old was left by a previewd that died while saving it.
    for (const name of all.filter((n) => n.startsWith("."))) {
      const age = await stat(join(this.dir, name)).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 3_600_000) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    const names = all.filter((name) => !name.startsWith("."));
    if (names.length <= this.maxEntries) return;
    const dated = await Promise.all(
      names.map(async (name) => ({
        name,
        mtime: await stat(join(this.dir, name)).then(
          (s) => s.mtimeMs,
          () => Infinity,
        ),
      })),
    );
    dated.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of dated.slice(0, dated.length - this.maxEntries)) {
      await rm(join(this.dir, name), { recursive: true, force: true });
    }
  }
}

/** Sharing is a speed-up: when it fails the environment is still fine, and the event says why. */
export async function share(
  ctx: RuntimeContext,
  step: string,
  save: () => Promise<void>,
  app?: string,
): Promise<void> {
  try {
    await save();
  } catch (error) {
    const message = `not shared with other environments: ${errorMessage(error)}`;
    ctx.event({ step, ...(app && { app }), status: "info", message });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
