/**
 * One ffmpeg process turning JPEG frames piped on its stdin into a VP8 WebM at a constant frame
 * rate (frame-timeline.ts decides how often each frame is written). It writes to `<file>.part`,
 * renamed to `<file>` once ffmpeg has finished, so a half-written video is never served; a
 * failure or `kill()` removes the part file. Frames of any size are scaled and padded to one
 * size (VP8 cannot change size mid-stream). ffmpeg runs with nothing of previewd's environment
 * but PATH and its labels, and exits on its own when previewd dies (its stdin closes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rename, rm } from "node:fs/promises";
import { EncodingError } from "./recording-errors.ts";

export interface WebmEncoderOptions {
  ffmpeg: string;
  /** The finished video; ffmpeg writes `<file>.part` meanwhile. */
  file: string;
  width: number;
  height: number;
  fps: number;
  /** Labels in its environment (owner, environment id, role), like every process previewd starts. */
  labels?: Record<string, string>;
}

const stderrTailBytes = 4096;

export class WebmEncoder {
  readonly #child: ChildProcess;
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #part: string;
  readonly #file: string;
  #stderr = "";
  #spawnError: Error | undefined;
  #ended = false;

  private constructor(options: WebmEncoderOptions) {
    this.#file = options.file;
    this.#part = `${options.file}.part`;
    this.#child = spawn(options.ffmpeg, ffmpegArgs(options, this.#part), {
      stdio: ["pipe", "ignore", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.labels },
    });
    this.#child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-stderrTailBytes);
    });
    // A write after ffmpeg died (EPIPE) is reported by finish(), not thrown here.
    this.#child.stdin?.on("error", () => undefined);
    this.#exited = new Promise((resolve) => {
      this.#child.once("error", (error) => {
        this.#spawnError = error;
        resolve({ code: null, signal: null });
      });
      this.#child.once("exit", (code, signal) => resolve({ code, signal }));
    });
  }

  /** Starts ffmpeg; rejects with EncodingError when it cannot be started. */
  static async start(options: WebmEncoderOptions): Promise<WebmEncoder> {
    const encoder = new WebmEncoder(options);
    await new Promise<void>((resolve) => {
      encoder.#child.once("spawn", resolve);
      void encoder.#exited.then(() => resolve());
    });
    if (encoder.#spawnError || encoder.#child.exitCode !== null) {
      await encoder.kill();
      throw new EncodingError(`could not start ${options.ffmpeg}: ${encoder.#reason()}`);
    }
    return encoder;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  write(frame: Buffer): void {
    if (this.#ended || !this.#child.stdin?.writable) return;
    this.#child.stdin.write(frame);
  }

  /** No more frames: waits for ffmpeg to finish the file, then moves it into place. */
  async finish(): Promise<void> {
    this.#ended = true;
    this.#child.stdin?.end();
    const { code, signal } = await this.#exited;
    if (code === 0) {
      await rename(this.#part, this.#file);
      return;
    }
    await rm(this.#part, { force: true });
    throw new EncodingError(
      `ffmpeg could not write the video (${signal ? `killed by ${signal}` : `exit code ${code}`}): ${this.#reason()}`,
    );
  }

  /** Stops ffmpeg at once and removes what it wrote. Idempotent. */
  async kill(): Promise<void> {
    this.#ended = true;
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    await this.#exited;
    await rm(this.#part, { force: true });
  }

  #reason(): string {
    const lines = this.#stderr.trim().split("\n").filter(Boolean).slice(-3);
    return this.#spawnError?.message ?? (lines.join(" | ") || "no output");
  }
}

/** How every recording is encoded: fitted to the page's size, realtime VP8 on one thread. */
export function vp8Encoding(width: number, height: number): string[] {
  return [
    "-vf",
    `scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:color=white,format=yuv420p`,
    // Realtime VP8 on one thread: previewd shares its cores with the environments it runs.
    "-c:v",
    "libvpx",
    "-deadline",
    "realtime",
    "-cpu-used",
    "8",
    "-threads",
    "1",
    "-b:v",
    "1M",
    "-crf",
    "10",
    "-qmin",
    "0",
    "-qmax",
    "50",
  ];
}

export function ffmpegArgs(
  options: Pick<WebmEncoderOptions, "width" | "height" | "fps">,
  output: string,
): string[] {
  const { width, height, fps } = options;
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    // JPEGs back to back on stdin, one per output frame; no probing delay before the first.
    "-f",
    "image2pipe",
    "-c:v",
    "mjpeg",
    "-framerate",
    String(fps),
    "-probesize",
    "32",
    "-analyzeduration",
    "0",
    "-i",
    "pipe:0",
    "-an",
    "-r",
    String(fps),
    ...vp8Encoding(width, height),
    "-f",
    "webm",
    "-y",
    output,
  ];
}
