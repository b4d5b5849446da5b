import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { EnvironmentRecord } from "./environment-record.ts";

interface StateFile {
  version: 1;
  environments: EnvironmentRecord[];
}

/**
 * previewd's state on disk: one JSON file, replaced atomically (write a temporary file, fsync,
 * rename), so a crash at any moment leaves either the old or the new state, never half of one.
 * Saves are serialized and coalesced: a save requested while one is running writes once after it.
 */
export class StateStore {
  readonly #file: string;
  #running: Promise<void> = Promise.resolve();
  #pending: (() => EnvironmentRecord[]) | undefined;
  #queued: Promise<void> | undefined;

  constructor(dataDir: string) {
    this.#file = path.join(dataDir, "state.json");
  }

  async load(): Promise<EnvironmentRecord[]> {
    try {
      const state = JSON.parse(await readFile(this.#file, "utf8")) as StateFile;
      return state.environments;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  /** Persist the snapshot `snapshot()` returns when the write actually happens. */
  save(snapshot: () => EnvironmentRecord[]): Promise<void> {
    this.#pending = snapshot;
    this.#queued ??= this.#running.then(async () => {
      this.#queued = undefined;
      const take = this.#pending!;
      this.#pending = undefined;
      await this.#write({ version: 1, environments: take() });
    });
    this.#running = this.#queued;
    return this.#queued;
  }

  async #write(state: StateFile): Promise<void> {
    await mkdir(path.dirname(this.#file), { recursive: true });
    const temporary = `${this.#file}.${process.pid}.tmp`;
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(state, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.#file);
  }
}
