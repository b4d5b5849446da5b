/**
 * Recordings (README "Recording a video"): how a screencast's frames become a WebM. One real
 * screencast of a page (moving for half the time, then still) is captured once, then replayed in
 * real time, frame by frame at the times Chrome painted them, into three encoders in the same run:
 * - timeline (previewd's): each frame written once per 1/25 s it stayed on screen, encoded as it comes;
 * - naive: each screencast frame written once at 25 fps, what image2pipe does without timestamps;
 * - at stop: the JPEGs kept on disk and encoded once at the stop by ffmpeg's concat demuxer, each
 *   with its duration.
 * Figures: the video's duration over the real time recorded, the wait from stop to a WebM, and
 * ffmpeg's CPU time per recorded second (from /usr/bin/time around ffmpeg).
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { launchChromium } from "../../devtools-bridge/browser/launch-chromium.ts";
import { CdpConnection } from "../../devtools-bridge/cdp/cdp-connection.ts";
import { findFfmpeg } from "../../devtools-bridge/recordings/ffmpeg-executable.ts";
import { FrameTimeline } from "../../devtools-bridge/recordings/frame-timeline.ts";
import { PageScreencast, type ScreencastFrame } from "../../devtools-bridge/recordings/page-screencast.ts";
import { vp8Encoding, WebmEncoder } from "../../devtools-bridge/recordings/webm-encoder.ts";
import type { BenchContext, BenchFigure } from "../bench-table.ts";

const fps = 25;
const page =
  "data:text/html,<h1 id=t>0</h1><script>let i=0;const s=setInterval(()=>{t.textContent=String(i++)},40);" +
  "setTimeout(()=>clearInterval(s),SECONDS*500)</script>";

interface Capture {
  frames: ScreencastFrame[];
  start: number;
  end: number;
  size: { width: number; height: number };
}

interface Outcome {
  durationS: number;
  stopMs: number;
  cpuS: number;
}

/** A real screencast of `seconds`, kept in memory. */
async function capture(dir: string, seconds: number): Promise<Capture> {
  const chromium = await launchChromium({
    executable: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    parentDir: dir,
    baseDomain: "localhost",
    labels: { PREVIEWD_ENV_ID: "bench-recording" },
  });
  const cdp = await CdpConnection.open(
    `ws://127.0.0.1:${chromium.port}/devtools/browser/${chromium.browserId}`,
  );
  try {
    const { targetId } = await cdp.send<{ targetId: string }>("Target.createTarget", {
      url: page.replace("SECONDS", String(seconds)),
    });
    const screencast = await PageScreencast.attach(cdp, targetId);
    const frames: ScreencastFrame[] = [];
    const start = Date.now() / 1000;
    await screencast.start({ onFrame: (frame) => frames.push(frame), onEnd: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    await screencast.stop();
    return { frames, start, end: Date.now() / 1000, size: screencast.size };
  } finally {
    cdp.close();
    await chromium.stop();
  }
}

/** Feeds the frames at the times they were painted; returns ms from the end to `finish()` done. */
async function replay(recorded: Capture, sink: { frame(f: ScreencastFrame): void; finish(): Promise<void> }) {
  const shift = Date.now() / 1000 - recorded.start;
  for (const frame of recorded.frames) {
    const wait = (frame.timestamp + shift) * 1000 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    sink.frame(frame);
  }
  const wait = (recorded.end + shift) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const stopped = performance.now();
  await sink.finish();
  return performance.now() - stopped;
}

/** An ffmpeg that reports its CPU seconds (user + system) into `file`. */
function timedFfmpeg(dir: string, ffmpeg: string, file: string): string {
  const wrapper = path.join(dir, `${path.basename(file)}.sh`);
  writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/time -f "%U %S" -o ${file} ${ffmpeg} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

function cpuSeconds(file: string): number {
  const [user, system] = readFileSync(file, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
  return user! + system!;
}

function durationOf(file: string): number {
  const out = execFileSync("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    file,
  ]);
  return Number(String(out).trim());
}

async function streamed(recorded: Capture, dir: string, name: string, timeline: boolean): Promise<Outcome> {
  const file = path.join(dir, `${name}.webm`);
  const times = path.join(dir, `${name}.time`);
  const encoder = await WebmEncoder.start({
    ffmpeg: timedFfmpeg(dir, await findFfmpeg(), times),
    file,
    fps,
    ...recorded.size,
  });
  // Replayed in real time, so the frames' own timestamps place them as they did live.
  const frames = new FrameTimeline<Buffer>(fps, recorded.start);
  const stopMs = await replay(recorded, {
    frame: (f) => {
      if (!timeline) return encoder.write(f.jpeg);
      for (const jpeg of frames.add(f.jpeg, f.timestamp)) encoder.write(jpeg);
    },
    finish: async () => {
      if (timeline) for (const jpeg of frames.finish(recorded.end)) encoder.write(jpeg);
      await encoder.finish();
    },
  });
  return { durationS: durationOf(file), stopMs, cpuS: cpuSeconds(times) };
}

async function atStop(recorded: Capture, dir: string): Promise<Outcome> {
  const file = path.join(dir, "at-stop.webm");
  const times = path.join(dir, "at-stop.time");
  const kept: { file: string; timestamp: number }[] = [];
  const { width, height } = recorded.size;
  const stopMs = await replay(recorded, {
    frame: (f) => {
      const jpeg = path.join(dir, `frame-${kept.length}.jpg`);
      writeFileSync(jpeg, f.jpeg);
      kept.push({ file: jpeg, timestamp: f.timestamp });
    },
    finish: async () => {
      // Chrome's first frames may come with timestamps out of order: a frame older than the one
      // before it shows for no time, as on previewd's timeline (concat refuses a list whose time
      // goes back before its start: "Invalid data found when processing input").
      const lines = kept.flatMap((k, i) => [
        `file '${k.file}'`,
        `duration ${Math.max(0, (kept[i + 1]?.timestamp ?? recorded.end) - k.timestamp).toFixed(3)}`,
      ]);
      writeFileSync(path.join(dir, "frames.txt"), [...lines, `file '${kept.at(-1)!.file}'`].join("\n"));
      const args = ["-v", "error", "-f", "concat", "-safe", "0", "-i", path.join(dir, "frames.txt")];
      // The same encoding as a recording's, frames at their own times instead of on a timeline.
      const encode = ["-fps_mode", "vfr", ...vp8Encoding(width, height)];
      const child = spawn(
        timedFfmpeg(dir, await findFfmpeg(), times),
        [...args, ...encode, "-f", "webm", "-y", file],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let said = "";
      child.stderr!.on("data", (chunk: Buffer) => (said = (said + chunk.toString()).slice(-4000)));
      const code = await new Promise((resolve) => child.once("close", resolve));
      if (code !== 0) throw new Error(`ffmpeg (frames encoded at stop) exited with ${code}: ${said.trim()}`);
    },
  });
  return { durationS: durationOf(file), stopMs, cpuS: cpuSeconds(times) };
}

export default async function recordingTiming(ctx: BenchContext): Promise<BenchFigure[]> {
  const seconds = ctx.quick ? 4 : 10;
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-bench-recording-"));
  try {
    ctx.log(`recording: capturing a ${seconds} s screencast`);
    const recorded = await capture(dir, seconds);
    const real = recorded.end - recorded.start;
    ctx.log(`recording: ${recorded.frames.length} screencast frames; replaying into three encoders`);
    const timeline = await streamed(recorded, dir, "timeline", true);
    const naive = await streamed(recorded, dir, "naive", false);
    const later = await atStop(recorded, dir);
    const ratio = timeline.durationS / real;
    return [
      {
        figure: "recording: video duration / real time",
        target: "1.00 ± 0.05×",
        value: ratio,
        unit: "×",
        baseline: { label: "each screencast frame once at 25 fps", value: naive.durationS / real, unit: "×" },
        met: Math.abs(ratio - 1) <= 0.05,
        note: `${recorded.frames.length} frames in ${real.toFixed(1)} s, half of it a still page; at stop (concat): ${(later.durationS / real).toFixed(2)}×`,
      },
      {
        figure: "recording: stop → WebM ready, encoding as frames come",
        target: "< encoding at stop",
        value: timeline.stopMs,
        unit: "ms",
        baseline: { label: "JPEGs on disk, encoded at stop", value: later.stopMs, unit: "ms" },
        met: timeline.stopMs < later.stopMs,
      },
      {
        figure: "recording: ffmpeg CPU per recorded second",
        target: "≤ 0.5 s",
        value: timeline.cpuS / real,
        unit: "s",
        baseline: { label: "encoded at stop", value: later.cpuS / real, unit: "s" },
        met: timeline.cpuS / real <= 0.5,
        note: "VP8 realtime, one thread; the timeline writes still frames again, which VP8 codes as near-empty",
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
