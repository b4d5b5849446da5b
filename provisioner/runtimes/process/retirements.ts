/**
 * Replaced app processes still finishing what they serve. A redeploy is `ready` once the new
 * process is healthy and its front points at it; the old one drains and stops after, here. The
 * environment's next update waits for them (so ports and processes are accounted for), and its
 * removal or previewd's shutdown cuts the drains short: the old processes stop at once.
 */
export class Retirements {
  readonly #pending = new Set<Promise<void>>();
  #cut = new AbortController();

  /** Runs `retire` in the background; its signal aborts when the drains are cut short. */
  add(retire: (signal: AbortSignal) => Promise<void>, onError: (error: unknown) => void): void {
    const done: Promise<void> = retire(this.#cut.signal)
      .catch(onError)
      .finally(() => this.#pending.delete(done));
    this.#pending.add(done);
  }

  /** Resolves once every process retiring now has stopped. */
  async settled(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /** Stops the drains (each old process is stopped now) and waits until they are gone. */
  async cut(): Promise<void> {
    this.#cut.abort();
    await this.settled();
    this.#cut = new AbortController();
  }
}
