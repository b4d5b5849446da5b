/**
 * Runs jobs one at a time per key, in the order they were added; different keys run
 * concurrently. A pull request's events go through one key, so they never overtake each other.
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<void>>();
  #closed = false;

  constructor(private readonly onError: (key: string, error: unknown) => void) {}

  add(key: string, job: () => Promise<void>): void {
    if (this.#closed) return;
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => (this.#closed ? undefined : job()))
      .catch((error: unknown) => this.onError(key, error));
    this.#tails.set(key, next);
    void next.then(() => {
      if (this.#tails.get(key) === next) this.#tails.delete(key);
    });
  }

  /** Drops jobs that have not started; running ones finish on their own. */
  close(): void {
    this.#closed = true;
  }

  /** Resolves once every queued job (including ones added meanwhile) has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size) await Promise.all(this.#tails.values());
  }
}
