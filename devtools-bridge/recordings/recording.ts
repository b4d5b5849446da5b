/**
 * One recording: a page's screencast (page-screencast.ts) laid on a constant-rate timeline
 * (frame-timeline.ts) and piped into ffmpeg (webm-encoder.ts). It ends when asked (`finish`),
 * when the page or browser goes (the video then ends there, still a valid file), or at its time
 * limit; `discard` kills ffmpeg and removes the file instead. `ended` tells how it ended.
 */
import { FrameTimeline } from "./frame-timeline.ts";
import { PageScreencast, type ScreencastEnd, type ScreencastFrame } from "./page-screencast.ts";
import { EncodingError } from "./recording-errors.ts";
import type { CdpConnection } from "../cdp/cdp-connection.ts";
import { WebmEncoder } from "./webm-encoder.ts";

export type RecordingEnd = "stop" | ScreencastEnd | "time-limit" | "previewd-stopped";

export interface RecordingResult {
  id: string;
  targetId: string;
  /** The page's URL when the recording started. */
  pageUrl: string;
  startedAt: string;
  stoppedAt: string;
  /** How long the video plays: the real time from start to stop, to 1/fps. */
  durationMs: number;
  /** Frames in the video. */
  frames: number;
  width: number;
  height: number;
  /** What ended it: the stop request, the page closing, the browser going, or the time limit. */
  endedBy: RecordingEnd;
}

export interface StartRecordingOptions {
  id: string;
  cdp: CdpConnection;
  targetId: string;
  pageUrl: string;
  ffmpeg: string;
  /** The finished WebM's path. */
  file: string;
  fps: number;
  maxDurationMs: number;
  /** ffmpeg's labels (recordings.ts). */
  labels: Record<string, string>;
}

export class Recording {
  readonly #options: StartRecordingOptions;
  readonly #screencast: PageScreencast;
  readonly #encoder: WebmEncoder;
  readonly #timeline: FrameTimeline<Buffer>;
  readonly startedAt: Date;
  /** Settles once the recording has ended, however it ended: the video written, or why not. */
  readonly ended: Promise<RecordingResult>;
  #settle!: (outcome: Promise<RecordingResult>) => void;
  #limit: NodeJS.Timeout | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #ending: Promise<RecordingResult> | undefined;

  private constructor(options: StartRecordingOptions, screencast: PageScreencast, encoder: WebmEncoder) {
    this.#options = options;
    this.#screencast = screencast;
    this.#encoder = encoder;
    this.startedAt = new Date();
    this.#timeline = new FrameTimeline(options.fps, this.startedAt.getTime() / 1000);
    this.ended = new Promise((resolve) => (this.#settle = resolve));
    // Whoever ends it reads the outcome; an unread failure is not an unhandled rejection.
    this.ended.catch(() => undefined);
  }

  /** Attaches to the page, starts ffmpeg, then the screencast; on failure nothing is left running. */
  static async start(options: StartRecordingOptions): Promise<Recording> {
    const screencast = await PageScreencast.attach(options.cdp, options.targetId);
    let encoder: WebmEncoder | undefined;
    try {
      encoder = await WebmEncoder.start({
        labels: options.labels,
        ffmpeg: options.ffmpeg,
        file: options.file,
        fps: options.fps,
        ...screencast.size,
      });
      const recording = new Recording(options, screencast, encoder);
      await screencast.start({
        onFrame: (frame) => recording.#frame(frame),
        onEnd: (reason) => void recording.finish(reason).catch(() => undefined),
      });
      // Screencast frames come when the page paints; a page painting nothing yet still has a look.
      void screencast.capture().then((frame) => {
        if (frame && recording.active && !recording.#timeline.hasFrame) recording.#frame(frame);
      });
      // The page may have gone already (finish ran): then no timer is left behind.
      if (!recording.active) return recording;
      // A still page sends no frames: its last one goes to ffmpeg as time passes, not all at the stop.
      // One second behind, so a frame Chrome delivers late still lands where it was painted.
      recording.#ticker = setInterval(() => {
        for (const jpeg of recording.#timeline.advance(Date.now() / 1000 - 1)) recording.#encoder.write(jpeg);
      }, 1000);
      recording.#ticker.unref();
      recording.#limit = setTimeout(
        () => void recording.finish("time-limit").catch(() => undefined),
        options.maxDurationMs,
      );
      recording.#limit.unref();
      return recording;
    } catch (error) {
      await screencast.stop();
      await encoder?.kill();
      throw error;
    }
  }

  get id(): string {
    return this.#options.id;
  }

  get targetId(): string {
    return this.#options.targetId;
  }

  get pageUrl(): string {
    return this.#options.pageUrl;
  }

  /** Still taking frames. */
  get active(): boolean {
    return this.#ending === undefined;
  }

  get pid(): number | undefined {
    return this.#encoder.pid;
  }

  /** Ends the recording and writes the video; the same promise for every caller. */
  finish(endedBy: RecordingEnd): Promise<RecordingResult> {
    if (!this.#ending) {
      this.#ending = this.#finish(endedBy);
      this.#settle(this.#ending);
    }
    return this.#ending;
  }

  /** Kills ffmpeg and removes what it wrote; a finish in progress fails. */
  async discard(): Promise<void> {
    clearTimeout(this.#limit);
    clearInterval(this.#ticker);
    if (!this.#ending) {
      this.#ending = Promise.reject(new EncodingError(`recording ${this.id} was discarded`));
      this.#ending.catch(() => undefined);
      this.#settle(this.#ending);
    }
    await this.#screencast.stop();
    await this.#encoder.kill();
  }

  #frame(frame: ScreencastFrame): void {
    if (!this.active) return;
    for (const jpeg of this.#timeline.add(frame.jpeg, frame.timestamp)) this.#encoder.write(jpeg);
  }

  async #finish(endedBy: RecordingEnd): Promise<RecordingResult> {
    clearTimeout(this.#limit);
    clearInterval(this.#ticker);
    const stoppedAt = new Date();
    // No frame yet (the capture at the start is still on its way): the page as it is now.
    if (!this.#timeline.hasFrame) {
      const still = await this.#screencast.capture();
      if (still) this.#timeline.add(still.jpeg, still.timestamp);
    }
    await this.#screencast.stop();
    if (!this.#timeline.hasFrame) {
      await this.#encoder.kill();
      throw new EncodingError(
        `recording ${this.id} has no frame: the page closed before it painted anything (ended by ${endedBy})`,
      );
    }
    for (const jpeg of this.#timeline.finish(stoppedAt.getTime() / 1000)) this.#encoder.write(jpeg);
    await this.#encoder.finish();
    const frames = this.#timeline.written;
    return {
      id: this.id,
      targetId: this.targetId,
      pageUrl: this.pageUrl,
      startedAt: this.startedAt.toISOString(),
      stoppedAt: stoppedAt.toISOString(),
      durationMs: Math.round((frames * 1000) / this.#options.fps),
      frames,
      ...this.#screencast.size,
      endedBy,
    };
  }
}
