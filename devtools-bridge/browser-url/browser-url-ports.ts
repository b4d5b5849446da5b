/**
 * Which loopback port each environment's browserUrl has, kept in one small JSON file so a
 * restarted previewd takes the same ports again: an agent that put the URL in its configuration
 * (`chrome-devtools-mcp --browserUrl …`) keeps working for the environment's whole life.
 */
import { writeFileAtomic } from "../../provisioner/atomic-file.ts";
import { StateWriteError } from "../../provisioner/errors.ts";
import { readFile } from "node:fs/promises";

export class BrowserUrlPorts {
  readonly #file: string;
  readonly #ports = new Map<string, number>();
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string) {
    this.#file = file;
  }

  /** A missing or unreadable file is an empty one: ports are a convenience, not state to recover. */
  static async open(file: string): Promise<BrowserUrlPorts> {
    const store = new BrowserUrlPorts(file);
    const text = await readFile(file, "utf8").catch(() => "{}");
    let saved: unknown;
    try {
      saved = JSON.parse(text);
    } catch {
      saved = {};
    }
    for (const [envId, port] of Object.entries((saved ?? {}) as Record<string, unknown>))
      if (Number.isInteger(port) && (port as number) > 0 && (port as number) < 65536)
        store.#ports.set(envId, port as number);
    return store;
  }

  get(envId: string): number | undefined {
    return this.#ports.get(envId);
  }

  set(envId: string, port: number): Promise<void> {
    this.#ports.set(envId, port);
    return this.#save();
  }

  delete(envId: string): Promise<void> {
    if (!this.#ports.delete(envId)) return this.#writing;
    return this.#save();
  }

  /** Forgets every environment but these. */
  keepOnly(envIds: readonly string[]): Promise<void> {
    const keep = new Set(envIds);
    const before = this.#ports.size;
    for (const envId of this.#ports.keys()) if (!keep.has(envId)) this.#ports.delete(envId);
    return this.#ports.size === before ? this.#writing : this.#save();
  }

  /** Writes one after the other, each whole (a temporary file renamed over the old one). */
  #save(): Promise<void> {
    const write = () =>
      writeFileAtomic(this.#file, JSON.stringify(Object.fromEntries(this.#ports))).catch((error: unknown) => {
        throw new StateWriteError(this.#file, error);
      });
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }
}
