/**
 * Remembers the last webhook delivery ids (X-GitHub-Delivery) so a repeated delivery is
 * processed once, across restarts. Ids are appended to a file, one a line; the file is
 * compacted to the newest `limit` ids once it holds twice as many.
 */
import { writeFileAtomic } from "../atomic-file.ts";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";

export class DeliveryLog {
  readonly #ids = new Set<string>();
  #lines = 0;
  #writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly limit: number,
  ) {}

  static async open(file: string, limit = 10_000): Promise<DeliveryLog> {
    const log = new DeliveryLog(file, limit);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "";
      throw error;
    });
    const ids = text.split("\n").filter(Boolean);
    for (const id of ids.slice(-limit)) log.#ids.add(id);
    log.#lines = ids.length;
    await mkdir(path.dirname(file), { recursive: true });
    return log;
  }

  /** true the first time an id is seen; false for a repeat. Records the id (in memory at once). */
  remember(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.limit) this.#ids.delete(this.#ids.values().next().value!);
    this.#lines += 1;
    const compact = this.#lines >= 2 * this.limit;
    if (compact) this.#lines = this.#ids.size;
    this.#writes = this.#writes.then(() => (compact ? this.#rewrite() : appendFile(this.file, `${id}\n`)));
    return true;
  }

  /** Resolves once every remembered id is on disk. */
  flush(): Promise<void> {
    return this.#writes;
  }

  async #rewrite(): Promise<void> {
    await writeFileAtomic(this.file, [...this.#ids].map((id) => `${id}\n`).join(""));
  }
}
