/**
 * Screencast frames arrive only when the page changes, each with the time it was painted; a WebM
 * at a constant frame rate shows each frame until the next one. This turns timestamped frames into
 * the constant-rate sequence ffmpeg reads (the way Playwright's video recorder does): every frame
 * is written once per output slot it covers, counted from the recording's start so rounding
 * never accumulates, and the last one is held until the recording stops. A static page thus
 * still makes a video as long as the recording.
 */
export class FrameTimeline<F> {
  #last: { frame: F; slot: number } | undefined;
  #written = 0;

  /**
   * @param fps output frames per second
   * @param startSeconds the recording's start, in the frames' clock (seconds since the epoch)
   */
  constructor(
    readonly fps: number,
    readonly startSeconds: number,
  ) {}

  /** Output frames written so far. */
  get written(): number {
    return this.#written;
  }

  get hasFrame(): boolean {
    return this.#last !== undefined;
  }

  /**
   * A frame painted at `timestamp` (seconds): returns the frames to write now (the previous frame,
   * once per slot it held). A frame that lands in the same slot as the previous one replaces it.
   */
  add(frame: F, timestamp: number): F[] {
    // The first frame also covers the time before it: the page looked like that from the start.
    const slot = this.#last ? Math.max(this.#slotOf(timestamp), this.#last.slot) : 0;
    const out = this.#last ? this.#repeat(this.#last.frame, slot - this.#last.slot) : [];
    this.#last = { frame, slot };
    return out;
  }

  /**
   * Time passes with no new frame: writes the last frame for the slots up to `timestamp` now,
   * rather than all at once when the next frame or the stop comes (a page still for minutes would
   * otherwise leave ffmpeg minutes of frames to encode after the stop).
   */
  advance(timestamp: number): F[] {
    if (!this.#last) return [];
    const slot = this.#slotOf(timestamp);
    if (slot <= this.#last.slot) return [];
    const out = this.#repeat(this.#last.frame, slot - this.#last.slot);
    this.#last.slot = slot;
    return out;
  }

  /** The recording ends at `timestamp`: the last frame fills the time up to it (at least once). */
  finish(timestamp: number): F[] {
    if (!this.#last) return [];
    const { frame, slot } = this.#last;
    this.#last = undefined;
    return this.#repeat(frame, Math.max(1, this.#slotOf(timestamp) - slot));
  }

  #slotOf(timestamp: number): number {
    return Math.max(0, Math.round((timestamp - this.startSeconds) * this.fps));
  }

  #repeat(frame: F, count: number): F[] {
    this.#written += count;
    return Array.from({ length: count }, () => frame);
  }
}
