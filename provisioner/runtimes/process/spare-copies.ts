/**
 * Copies made ahead for the next environment, so that it moves one in (a rename) instead of
 * copying beside its own builds: an install's `node_modules` and an app's build or build seed
 * (shared-outputs.ts), a Postgres template's cluster (postgres-template.ts). A copy is asked for
 * as one is used (and as a build is saved), and made once an environment's operation has ended
 * (Runtime.operationEnded), at the lowest CPU priority, synced, then renamed into place: whole or
 * absent after a power loss. A taker claims one by a rename, so each goes to exactly one
 * environment.
 */
import { execFile } from "node:child_process";
import { readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ChildIdentity } from "./child-identity.ts";
import { runAtLowestPriority } from "./session-priority.ts";

const run = promisify(execFile);

export class SpareCopies {
  /** Asked for since the last fill(), by name: what makes each. */
  readonly #wanted = new Map<string, (signal: AbortSignal) => Promise<void>>();
  /** Being made, by name: at most one each. */
  readonly #making = new Map<string, Promise<void>>();
  readonly #stop = new AbortController();

  /** Asks for the copy `name`, made by `make` at the next fill(). */
  want(name: string, make: (signal: AbortSignal) => Promise<void>): void {
    this.#wanted.set(name, make);
  }

  /** Makes, in the background, what was asked for since the last call. Never fails. */
  fill(): void {
    for (const [name, make] of this.#wanted) {
      if (this.#making.has(name) || this.#stop.signal.aborted) continue;
      const making = make(this.#stop.signal)
        .catch(() => undefined)
        .finally(() => this.#making.delete(name));
      this.#making.set(name, making);
    }
    this.#wanted.clear();
  }

  /** Once nothing is being made. */
  async settled(): Promise<void> {
    while (this.#making.size > 0) await Promise.all(this.#making.values());
  }

  /** Stops what is being made, for good (previewd closing: a low-priority copy may take long), and waits. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.settled();
  }
}

/**
 * Copies `source` to `temporary` at the lowest CPU priority of the machine (session-priority.ts),
 * gives it to `owner` if given, syncs it and renames it to `target`; removes `temporary` if any of
 * that fails, and throws. One process each, so that `signal` stopping one stops its work (a shell
 * would leave its child running).
 */
export async function copyAhead(
  source: string,
  temporary: string,
  target: string,
  options: { owner?: Pick<ChildIdentity, "uid" | "gid"> | undefined; signal: AbortSignal },
): Promise<void> {
  const { owner, signal } = options;
  try {
    await runAtLowestPriority(["cp", "-a", "--reflink=auto", "--", source, temporary], { signal });
    if (owner) await run("chown", ["-R", "-h", `${owner.uid}:${owner.gid}`, "--", temporary], { signal });
    await run("sync", ["-f", temporary], { signal });
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * Removes the temporaries (`.<name>`) in `dir` that a previewd which died while writing them left
 * an hour ago, but not those named in `keep`. Judged by ctime, which every file added sets and no
 * copy carries over: `cp -a` gives a temporary being written right now its source's old mtime.
 */
export async function sweepTemporaries(dir: string, keep: readonly string[] = []): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(".") || keep.includes(name)) continue;
    const age = await stat(join(dir, name)).then(
      (s) => Date.now() - s.ctimeMs,
      () => 0,
    );
    if (age > 3_600_000) await rm(join(dir, name), { recursive: true, force: true });
  }
}
