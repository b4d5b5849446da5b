import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeVideo, requireFfmpeg, skipWithoutFfmpeg, testJpeg } from "../../test/helpers/ffprobe.ts";
import { findFfmpeg } from "./ffmpeg-executable.ts";
import { EncodingError, FfmpegUnavailableError } from "./recording-errors.ts";
import { WebmEncoder } from "./webm-encoder.ts";

let dir: string;

describe.skipIf(skipWithoutFfmpeg)("WebmEncoder (real ffmpeg)", () => {
  beforeAll(() => {
    requireFfmpeg();
    dir = mkdtempSync(path.join(os.tmpdir(), "previewd-webm-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("turns JPEG frames of changing sizes into a VP8 WebM at the frame rate given", async () => {
    const file = path.join(dir, "a.webm");
    const encoder = await WebmEncoder.start({
      ffmpeg: await findFfmpeg(),
      file,
      width: 320,
      height: 240,
      fps: 25,
    });
    const small = testJpeg(160, 90, 0);
    const odd = testJpeg(781, 493, 10);
    for (let i = 0; i < 25; i++) encoder.write(small);
    for (let i = 0; i < 25; i++) encoder.write(odd);
    await encoder.finish();
    expect(readdirSync(dir)).toEqual(["a.webm"]);
    const video = probeVideo(file);
    expect(video).toMatchObject({ codec: "vp8", width: 320, height: 240, frames: 50 });
    expect(video.formatName).toContain("webm");
    expect(video.durationSeconds).toBeCloseTo(2, 1);
  });

  it("kill() stops ffmpeg and leaves no file", async () => {
    const file = path.join(dir, "b.webm");
    const encoder = await WebmEncoder.start({
      ffmpeg: await findFfmpeg(),
      file,
      width: 320,
      height: 240,
      fps: 25,
    });
    encoder.write(testJpeg(320, 240));
    const pid = encoder.pid!;
    await encoder.kill();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(file) || existsSync(`${file}.part`)).toBe(false);
  });

  it("says why when ffmpeg gets no frame at all, and removes its part file", async () => {
    const file = path.join(dir, "c.webm");
    const encoder = await WebmEncoder.start({
      ffmpeg: await findFfmpeg(),
      file,
      width: 320,
      height: 240,
      fps: 25,
    });
    await expect(encoder.finish()).rejects.toBeInstanceOf(EncodingError);
    expect(existsSync(file) || existsSync(`${file}.part`)).toBe(false);
  });
});

describe("findFfmpeg", () => {
  it("names the Debian package when PATH has no ffmpeg", async () => {
    const error = await findFfmpeg({ PATH: "/nonexistent:/also-not-here" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegUnavailableError);
    expect((error as FfmpegUnavailableError).status).toBe(503);
    expect((error as Error).message).toContain("apt-get install ffmpeg");
  });
});
