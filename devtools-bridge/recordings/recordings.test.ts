/**
 * Recordings on a real Chromium and ffmpeg, without an environment: the page navigated last is
 * the default, a moving and a static page give real-time videos, a page closing mid-recording
 * still leaves a valid file, discarding kills ffmpeg and removes the files, and bad input says
 * what is wrong.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, type PreviewdError } from "../../provisioner/errors.ts";
import { silentLogger } from "../../provisioner/logger.ts";
import { chromiumPath, requireChromium, skipWithoutChromium } from "../../test/helpers/chromium.ts";
import { probeVideo, requireFfmpeg, skipWithoutFfmpeg } from "../../test/helpers/ffprobe.ts";
import { BrowserPool } from "../browser/browser-pool.ts";
import { startManagedBrowser, type ManagedBrowser } from "../managed-browser.ts";
import { findFfmpeg } from "./ffmpeg-executable.ts";
import { RecordingStore } from "./recording-store.ts";
import { Recordings } from "./recordings.ts";

const env = "rec-unit";
let dir: string;
let pool: BrowserPool<ManagedBrowser>;
let recordings: Recordings;
let browser: ManagedBrowser;

const ticking =
  "data:text/html,<h1 id=t>0</h1><script>let i=0;setInterval(()=>{t.textContent=String(i++)},50)</script>";
const still = "data:text/html,<h1>nothing moves here</h1>";

async function openPage(url: string): Promise<string> {
  const { targetId } = await browser.cdp.send<{ targetId: string }>("Target.createTarget", { url });
  // The URL change reaches the bridge's connection as an event; wait until it has.
  for (let i = 0; i < 100 && browser.lastNavigatedPage() !== targetId; i++)
    await new Promise((resolve) => setTimeout(resolve, 20));
  return targetId;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function problemOf(work: Promise<unknown>): Promise<PreviewdError> {
  return work.then(
    () => {
      throw new Error("expected a problem");
    },
    (error: PreviewdError) => error,
  );
}

describe.skipIf(skipWithoutChromium || skipWithoutFfmpeg)("recordings (real Chromium and ffmpeg)", () => {
  beforeAll(async () => {
    requireChromium();
    requireFfmpeg();
    dir = mkdtempSync(path.join(os.tmpdir(), "previewd-recordings-"));
    pool = new BrowserPool({
      maxBrowsers: 1,
      idleMs: 60_000,
      logger: silentLogger,
      launch: (envId) =>
        startManagedBrowser({
          envId,
          executable: chromiumPath,
          browsersDir: path.join(dir, "browsers"),
          owner: `recordings-test-${process.pid}`,
          baseDomain: "localhost",
          sink: { append: () => undefined },
          logger: silentLogger,
        }),
    });
    recordings = new Recordings({
      browsers: pool,
      store: new RecordingStore((envId) => path.join(dir, "data", envId)),
      owner: `recordings-test-${process.pid}`,
      ffmpeg: () => findFfmpeg(),
      logger: silentLogger,
    });
    const lease = await pool.acquire(env);
    browser = lease.browser;
    lease.release();
  }, 60_000);
  afterAll(async () => {
    await recordings?.close();
    await pool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("records the page navigated last, in real time, and refuses a second stop", async () => {
    const target = await openPage(ticking);
    const asked = Date.now();
    const started = await recordings.start(env, {});
    expect(started).toMatchObject({ targetId: target, pageUrl: ticking });
    await sleep(1500);
    const result = await recordings.stop(env, started.id);
    const elapsed = Date.now() - asked;
    expect(result).toMatchObject({ id: started.id, endedBy: "stop", targetId: target });
    // The video lasts as long as the recording did (frames at 25 fps from the page's own timestamps).
    expect(result.durationMs).toBeGreaterThanOrEqual(1400);
    expect(result.durationMs).toBeLessThanOrEqual(elapsed + 100);
    const video = probeVideo(await recordings.video(env, started.id));
    expect(video.codec).toBe("vp8");
    expect(video.formatName).toContain("webm");
    expect(video.frames).toBe(result.frames);
    expect(video.durationSeconds * 1000).toBeCloseTo(result.durationMs, -2);

    const again = await problemOf(recordings.stop(env, started.id));
    expect(again).toBeInstanceOf(ConflictError);
    expect(again.message).toMatch(/stopped already.*\.webm/);
  });

  it("makes a video of a page that never changes, as long as the recording", async () => {
    const target = await openPage(still);
    const started = await recordings.start(env, { targetId: target });
    await sleep(1000);
    const result = await recordings.stop(env, started.id);
    expect(result.frames).toBeGreaterThanOrEqual(24);
    expect(probeVideo(await recordings.video(env, started.id)).frames).toBe(result.frames);
  });

  it("ends cleanly when the page closes mid-recording: a valid file, then the stop answers it", async () => {
    const target = await openPage(ticking);
    const started = await recordings.start(env, {});
    await sleep(800);
    await browser.cdp.send("Target.closeTarget", { targetId: target });
    // It ends by itself once Chrome reports the page gone: the video can be fetched before anyone stops it.
    let file: string | undefined;
    for (let i = 0; i < 200 && !file; i++) {
      file = await recordings.video(env, started.id).catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
        return sleep(50).then(() => undefined);
      });
    }
    expect(probeVideo(file!).codec).toBe("vp8");
    const result = await recordings.stop(env, started.id);
    expect(result.endedBy).toBe("page-closed");
    expect(result.frames).toBeGreaterThan(5);
  });

  it("discards an environment's recordings: ffmpeg killed, files gone", async () => {
    await openPage(ticking);
    const started = await recordings.start(env, {});
    await sleep(300);
    const [pid] = recordings.pids(env);
    expect(pid).toBeGreaterThan(0);
    await expect(recordings.video(env, started.id)).rejects.toThrow(/still running: stop it first/);
    await recordings.discard(env);
    expect(() => process.kill(pid!, 0)).toThrow();
    expect(existsSync(path.join(dir, "data", env, "recordings"))).toBe(false);
    expect((await problemOf(recordings.stop(env, started.id))).status).toBe(404);
  });

  it("names what is wrong: an unknown page, an unknown recording, no browser", async () => {
    const unknown = await problemOf(recordings.start(env, { targetId: "NOPE" }));
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.message).toMatch(/no page "NOPE".*json\/list/);
    expect(unknown.errors?.[0]?.path).toBe("targetId");
    expect(await problemOf(recordings.stop(env, "zzz"))).toBeInstanceOf(NotFoundError);
    expect(await problemOf(recordings.video(env, "../x"))).toBeInstanceOf(NotFoundError);
    const idle = await problemOf(recordings.start("no-browser-here", {}));
    expect(idle).toBeInstanceOf(ConflictError);
    expect(idle.message).toMatch(/not running.*browser_navigate/);
  });
});
