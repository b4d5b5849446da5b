/**
 * Recordings on disk: `<env data dir>/recordings/<rid>.webm` with the stop result in `<rid>.json`
 * beside it, so they go when the environment's data dir goes (and `removeAll` takes them first,
 * when the environment is deleted).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../provisioner/atomic-file.ts";
import type { RecordingResult } from "./recording.ts";

const idPattern = /^[a-z0-9-]{1,64}$/;

export class RecordingStore {
  constructor(private readonly envDataDir: (envId: string) => string) {}

  newId(): string {
    return `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  }

  /** Makes the environment's recordings folder; answers where recording `id`'s video goes. */
  async prepare(envId: string, id: string): Promise<string> {
    await mkdir(this.#dir(envId), { recursive: true, mode: 0o755 });
    return this.#video(envId, id);
  }

  async saveResult(envId: string, result: RecordingResult): Promise<void> {
    await writeFileAtomic(path.join(this.#dir(envId), `${result.id}.json`), JSON.stringify(result));
  }

  /** The stop result of a finished recording; undefined for an unknown (or malformed) id. */
  async readResult(envId: string, id: string): Promise<RecordingResult | undefined> {
    if (!idPattern.test(id)) return undefined;
    return readFile(path.join(this.#dir(envId), `${id}.json`), "utf8").then(
      (text) => JSON.parse(text) as RecordingResult,
      () => undefined,
    );
  }

  /** The finished video's path, or undefined when there is none. */
  async video(envId: string, id: string): Promise<string | undefined> {
    if (!idPattern.test(id)) return undefined;
    const file = this.#video(envId, id);
    return stat(file).then(
      (info) => (info.isFile() ? file : undefined),
      () => undefined,
    );
  }

  async removeAll(envId: string): Promise<void> {
    await rm(this.#dir(envId), { recursive: true, force: true });
  }

  #video(envId: string, id: string): string {
    return path.join(this.#dir(envId), `${id}.webm`);
  }

  #dir(envId: string): string {
    return path.join(this.envDataDir(envId), "recordings");
  }
}
