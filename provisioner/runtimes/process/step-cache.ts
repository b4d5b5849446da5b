/**
 * Remembers what install and build last did successfully for one environment, so an unchanged
 * lockfile skips install and an unchanged app input hash skips its build.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

export interface StepCacheRecord {
  /** Hash of the lockfiles and install command of the last successful install. */
  install?: string;
  /** App name → input hash of its last successful build. */
  builds: Record<string, string>;
}

export class StepCache {
  readonly #file: string;

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

  async update(change: (record: StepCacheRecord) => void): Promise<void> {
    const record = await this.read();
    change(record);
    await mkdir(dirname(this.#file), { recursive: true });
    // Write then rename, so a crash never leaves half a record.
    await writeFile(`${this.#file}.tmp`, JSON.stringify(record));
    await rename(`${this.#file}.tmp`, this.#file);
  }
}
