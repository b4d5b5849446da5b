/**
 * Remembers what install and build last did successfully for one environment, so an unchanged
 * lockfile skips install and an unchanged app input hash skips its build. What it remembers was
 * done in the environment's worktree: once that worktree is gone, so is the record (`forget`).
 */
import { writeFileAtomic } from "../../atomic-file.ts";
import { mkdir, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface StepCacheRecord {
  /** Hash of the lockfiles and install command of the last successful install. */
  install?: string;
  /** App name → build hash (app-input-hash.ts) of its last successful build. */
  builds: Record<string, string>;
}

export class StepCache {
  readonly #file: string;
  #updates: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.#file = join(dataDir, "cache", "process-steps.json");
  }

  async read(): Promise<StepCacheRecord> {
    try {
      const parsed = JSON.parse(await readFile(this.#file, "utf8")) as Partial<StepCacheRecord>;
      return { install: parsed.install, builds: parsed.builds ?? {} };
    } catch {
      return { builds: {} };
    }
  }

  /** Nothing was installed or built here: the next install and builds run (or are copied). */
  async forget(): Promise<void> {
    await rm(this.#file, { force: true });
  }

  /** One change at a time: builds running side by side each record theirs, none lost. */
  update(change: (record: StepCacheRecord) => void): Promise<void> {
    const updated = this.#updates.then(() => this.#update(change));
    this.#updates = updated.catch(() => undefined);
    return updated;
  }

  async #update(change: (record: StepCacheRecord) => void): Promise<void> {
    const record = await this.read();
    change(record);
    await mkdir(dirname(this.#file), { recursive: true });
    // Write then rename, so a crash never leaves half a record.
    await writeFileAtomic(this.#file, JSON.stringify(record));
  }
}
