/**
 * When to restart a crashed app or service: 1 s after the first crash, doubling up to 30 s while
 * it keeps crashing, back to 1 s once it has stayed up for a minute.
 */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** Up this long without a crash, the next crash starts the schedule over. */
  resetAfterMs: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

export class RestartBackoff {
  readonly #policy: BackoffPolicy;
  readonly #now: () => number;
  #restarts = 0;
  #upSince: number | undefined;

  constructor(policy: BackoffPolicy = defaultBackoff, now: () => number = Date.now) {
    this.#policy = policy;
    this.#now = now;
  }

  /** How long to wait before the next restart; counts it. */
  next(): number {
    const { initialMs, maxMs } = this.#policy;
    // Capped exponent: past the cap the delay is maxMs anyway.
    const ms = Math.min(initialMs * 2 ** Math.min(this.#restarts, 30), maxMs);
    this.#restarts++;
    this.#upSince = undefined;
    return ms;
  }

  /** It was seen up; after `resetAfterMs` of being up in a row, the schedule starts over. */
  up(): void {
    const now = this.#now();
    this.#upSince ??= now;
    if (now - this.#upSince >= this.#policy.resetAfterMs) this.#restarts = 0;
  }

  /** It was seen down or unhealthy: the time up starts over. */
  down(): void {
    this.#upSince = undefined;
  }
}
