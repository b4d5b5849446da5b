/**
 * What previewd remembers about each pull request it has seen: its environment and whether it
 * was closed (so a late `synchronize` does not bring a closed PR's preview back). One JSON file,
 * replaced atomically; the oldest entries are dropped beyond `limit`.
 */
import { mkdir, open, readFile, rename } from "node:fs/promises";
import path from "node:path";

export interface PullRequestMemory {
  /** The environment previewing the PR, while there is one. */
  envId?: string;
  closed: boolean;
  updatedAt: string;
}

export class PullRequestState {
  readonly #prs = new Map<string, PullRequestMemory>();
  #writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly limit: number,
  ) {}

  static async open(file: string, limit = 5_000): Promise<PullRequestState> {
    const state = new PullRequestState(file, limit);
    const text = await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return "{}";
      throw error;
    });
    const saved = JSON.parse(text) as { pullRequests?: Record<string, PullRequestMemory> };
    for (const [key, memory] of Object.entries(saved.pullRequests ?? {})) state.#prs.set(key, memory);
    return state;
  }

  get(key: string): PullRequestMemory | undefined {
    return this.#prs.get(key);
  }

  /** Merge `change` into the PR's memory and persist; resolves once it is on disk. */
  update(key: string, change: Partial<Omit<PullRequestMemory, "updatedAt">>): Promise<void> {
    const current = this.#prs.get(key) ?? { closed: false, updatedAt: "" };
    const next: PullRequestMemory = { ...current, ...change, updatedAt: new Date().toISOString() };
    if (change.envId === undefined && "envId" in change) delete next.envId;
    // Re-insert so Map order is least recently updated first.
    this.#prs.delete(key);
    this.#prs.set(key, next);
    while (this.#prs.size > this.limit) this.#prs.delete(this.#prs.keys().next().value!);
    const snapshot = JSON.stringify({ pullRequests: Object.fromEntries(this.#prs) }, null, 2);
    this.#writes = this.#writes.then(() => this.#write(snapshot));
    return this.#writes;
  }

  async #write(text: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
  }
}
