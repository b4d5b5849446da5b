/**
 * Operations on one environment run one after another, in the order asked; operations on
 * different environments run side by side. The running operation can be aborted (a delete
 * interrupts a provision).
 */
export class OperationQueue {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #aborts = new Map<string, AbortController>();

  /** Runs `work` after everything queued for `id` before it; resolves or rejects with its result. */
  run<T>(id: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const result = (this.#tails.get(id) ?? Promise.resolve()).then(async () => {
      const controller = new AbortController();
      this.#aborts.set(id, controller);
      try {
        return await work(controller.signal);
      } finally {
        if (this.#aborts.get(id) === controller) this.#aborts.delete(id);
      }
    });
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(id, tail);
    void tail.finally(() => {
      if (this.#tails.get(id) === tail) this.#tails.delete(id);
    });
    return result;
  }

  /** Resolves once every operation queued for `id` so far has finished (later ones are not waited for). */
  settled(id: string): Promise<void> {
    return this.#tails.get(id) ?? Promise.resolve();
  }

  /** Abort the operation running for `id`, if any. */
  abort(id: string): void {
    this.#aborts.get(id)?.abort();
  }

  /** Resolves once nothing is queued anywhere. */
  async idle(): Promise<void> {
    while (this.#tails.size) await Promise.all(this.#tails.values());
  }
}
