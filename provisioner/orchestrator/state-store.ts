import { writeFileAtomic } from "../atomic-file.ts";
import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { StateWriteError } from "../errors.ts";
import type { EnvironmentRecord } from "./environment-record.ts";

interface StateFile {
  version: 1;
  environments: EnvironmentRecord[];
}

/**
 * previewd's state on disk: one JSON file, replaced atomically (write a temporary file, fsync,
 * rename), so a crash at any moment leaves either the old or the new state, never half of one.
 * Saves are serialized and coalesced: a save requested while one is running writes once after it.
 * A failed write (a full disk) fails the saves it carried, leaves no temporary file, and the next
 * save tries again.
 */
export class StateStore {
  readonly #file: string;
  /** The write in progress, settled either way: a failed write must not fail the ones after it. */
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

  /** Persist the snapshot `snapshot()` returns when the write actually happens. Rejects with StateWriteError. */
  save(snapshot: () => EnvironmentRecord[]): Promise<void> {
    this.#pending = snapshot;
    this.#queued ??= this.#running.then(async () => {
      this.#queued = undefined;
      const take = this.#pending!;
      this.#pending = undefined;
      await this.#write({ version: 1, environments: take() });
    });
    const queued = this.#queued;
    this.#running = queued.catch(() => undefined);
    return queued;
  }

  async #write(state: StateFile): Promise<void> {
    try {
      await mkdir(path.dirname(this.#file), { recursive: true });
      await writeFileAtomic(this.#file, JSON.stringify(state, null, 2), { sync: true });
    } catch (error) {
      throw new StateWriteError(this.#file, error);
    }
  }
}
