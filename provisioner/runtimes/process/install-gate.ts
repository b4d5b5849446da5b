/**
 * Lets `command` services wait for the install of the same provision or update: they run the
 * monorepo's code, which may import what the install puts in place, while Postgres and Redis
 * start at once, beside the install and builds (deploy-flow.ts).
 */
export class InstallGate {
  readonly #done: Promise<void>;
  #open!: () => void;
  #fail!: (error: unknown) => void;

  constructor() {
    this.#done = new Promise<void>((resolve, reject) => {
      this.#open = resolve;
      this.#fail = reject;
    });
    this.#done.catch(() => undefined); // No command service may be waiting.
  }

  /** Resolves once the install is done; rejects if the install and build step failed before. */
  passed(): Promise<void> {
    return this.#done;
  }

  open(): void {
    this.#open();
  }

  /** The install (or what precedes it) failed; after `open()` this changes nothing. */
  fail(error: unknown): void {
    this.#fail(error);
  }
}
