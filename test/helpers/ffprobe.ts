/**
 * What ffprobe (Debian's ffmpeg package) reads from a video: container, codec, size, frames
 * counted by decoding, and duration. Suites that record skip without ffmpeg unless
 * PREVIEWD_REQUIRE_ALL=1; then they fail.
 */
import { execFileSync } from "node:child_process";

function onPath(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const ffmpegMissing = !onPath("ffmpeg") || !onPath("ffprobe");
/** Pass to `describe.skipIf`. */
export const skipWithoutFfmpeg = ffmpegMissing && process.env.PREVIEWD_REQUIRE_ALL !== "1";

/** Call in `beforeAll`: fails the suite when ffmpeg is required but missing. */
export function requireFfmpeg(): void {
  if (ffmpegMissing)
    throw new Error("ffmpeg and ffprobe are required (PREVIEWD_REQUIRE_ALL=1): apt-get install ffmpeg");
}

export interface ProbedVideo {
  formatName: string;
  codec: string;
  width: number;
  height: number;
  frames: number;
  durationSeconds: number;
}

export function probeVideo(file: string): ProbedVideo {
  const out = execFileSync(
    "ffprobe",
    ["-v", "error", "-count_frames", "-show_format", "-show_streams", "-of", "json", file],
    { encoding: "utf8" },
  );
  const parsed = JSON.parse(out) as {
    format: { format_name: string; duration?: string };
    streams: {
      codec_type: string;
      codec_name: string;
      width: number;
      height: number;
      nb_read_frames: string;
    }[];
  };
  const video = parsed.streams.find((s) => s.codec_type === "video");
  if (!video) throw new Error(`${file} has no video stream`);
  return {
    formatName: parsed.format.format_name,
    codec: video.codec_name,
    width: video.width,
    height: video.height,
    frames: Number(video.nb_read_frames),
    durationSeconds: Number(parsed.format.duration ?? Number.NaN),
  };
}

/** A JPEG of a test pattern, `width`×`height`, made by ffmpeg (frame `n` of its test source). */
export function testJpeg(width: number, height: number, n = 0): Buffer {
  return execFileSync(
    "ffmpeg",
    [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      `testsrc=size=${width}x${height}:rate=25`,
      "-vf",
      `select=eq(n\\,${n})`,
      "-frames:v",
      "1",
      "-f",
      "image2pipe",
      "-c:v",
      "mjpeg",
      "pipe:1",
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
}
