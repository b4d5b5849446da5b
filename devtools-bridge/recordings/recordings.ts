/**
 * Every recording previewd runs, per environment (SPEC: `POST …/recordings`, `…/:rid/stop`,
 * `GET …/:rid.webm`). A recording holds its environment's browser (no idle stop meanwhile) and
 * runs on the bridge's own DevTools connection, so it outlives the client that asked for it.
 * Deleting an environment discards its recordings: ffmpeg killed, files removed.
 */
import { ConflictError, NotFoundError } from "../../provisioner/errors.ts";
import type { Logger } from "../../provisioner/logger.ts";
import { ENV_LABEL, NAME_LABEL, OWNER_LABEL, ROLE_LABEL } from "../browser/browser-labels.ts";
import type { CdpConnection } from "../cdp/cdp-connection.ts";
import { Recording, type RecordingResult } from "./recording.ts";
import type { RecordingStore } from "./recording-store.ts";

/** What recordings need of an environment's running browser (a ManagedBrowser). */
export interface RecordableBrowser {
  cdp: CdpConnection;
  internalTargets: ReadonlySet<string>;
  lastNavigatedPage(): string | undefined;
}

/** The browser pool, as far as recordings use it. */
export interface RecordingBrowsers {
  running(envId: string): RecordableBrowser | undefined;
  acquire(envId: string): Promise<{ browser: RecordableBrowser; release(): void }>;
}

export interface RecordingsOptions {
  browsers: RecordingBrowsers;
  store: RecordingStore;
  /** previewd's owner label, on every ffmpeg it starts (with the environment's id). */
  owner: string;
  /** The ffmpeg to run; FfmpegUnavailableError (503) when there is none. */
  ffmpeg(): Promise<string>;
  logger: Logger;
  /** Output frame rate; default 25. */
  fps?: number;
  /** A recording still running after this long stops by itself; default 15 minutes. */
  maxDurationMs?: number;
  /** Recordings running at once per environment; default 4. */
  maxPerEnvironment?: number;
}

export interface StartedRecording {
  id: string;
  targetId: string;
  pageUrl: string;
  startedAt: string;
}

interface Entry {
  envId: string;
  recording: Recording;
  /** The video written and its result saved, and the browser released. */
  outcome: Promise<RecordingResult>;
  stopAsked: boolean;
  /** Killed with its environment: its failure is expected. */
  discarded: boolean;
}

export class Recordings {
  readonly #options: RecordingsOptions;
  readonly #entries = new Map<string, Entry>();

  constructor(options: RecordingsOptions) {
    this.#options = options;
  }

  /** Starts recording `targetId`, or the page last navigated; checks ffmpeg before anything else. */
  async start(envId: string, request: { targetId?: string }): Promise<StartedRecording> {
    const ffmpeg = await this.#options.ffmpeg();
    const running = this.#options.browsers.running(envId);
    const targetId = request.targetId ?? running?.lastNavigatedPage();
    if (targetId === undefined) {
      throw new ConflictError(
        `no page to record in environment ${envId}: nothing has been navigated in its browser ` +
          `${running ? "yet" : "(it is not running)"}; open a page first (a CDP client on devtools.http, ` +
          "or the MCP tool browser_navigate), or pass targetId (GET …/devtools/json/list shows the pages)",
      );
    }
    if (!running) throw unknownTarget(envId, targetId, "its browser is not running");
    const active = [...this.#entries.values()].filter((e) => e.envId === envId && e.recording.active);
    const max = this.#options.maxPerEnvironment ?? 4;
    if (active.length >= max) {
      throw new ConflictError(
        `${active.length} recordings are running in environment ${envId} (at most ${max}): stop one first ` +
          `(${active.map((e) => e.recording.id).join(", ")})`,
      );
    }
    const lease = await this.#options.browsers.acquire(envId);
    try {
      const pageUrl = await pageUrlOf(lease.browser, envId, targetId);
      const id = this.#options.store.newId();
      const recording = await Recording.start({
        id,
        cdp: lease.browser.cdp,
        targetId,
        pageUrl,
        ffmpeg,
        file: await this.#options.store.prepare(envId, id),
        fps: this.#options.fps ?? 25,
        maxDurationMs: this.#options.maxDurationMs ?? 15 * 60_000,
        labels: recordingLabels(this.#options.owner, envId),
      });
      const outcome = recording.ended
        .then(async (result) => {
          await this.#options.store.saveResult(envId, result);
          this.#options.logger.info({ env: envId, recording: id, ...result }, "recording written");
          return result;
        })
        .finally(() => lease.release());
      const entry: Entry = { envId, recording, outcome, stopAsked: false, discarded: false };
      outcome.catch((error: unknown) => {
        if (!entry.discarded)
          this.#options.logger.warn({ env: envId, recording: id, err: error }, "recording failed");
      });
      this.#entries.set(id, entry);
      this.#options.logger.info(
        { env: envId, recording: id, targetId, pid: recording.pid },
        "recording started",
      );
      return { id, targetId, pageUrl, startedAt: recording.startedAt.toISOString() };
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  /** Stops it (if the page has not ended it already) and answers once the video is written. */
  async stop(envId: string, id: string): Promise<RecordingResult> {
    const entry = this.#entries.get(id);
    if (entry?.envId !== envId) {
      const stopped = await this.#options.store.readResult(envId, id);
      if (!stopped) throw unknownRecording(envId, id);
      throw new ConflictError(
        `recording ${id} was stopped already (ended by ${stopped.endedBy} at ${stopped.stoppedAt}); ` +
          `its video is at GET /v1/environments/${envId}/recordings/${id}.webm`,
      );
    }
    if (entry.stopAsked) {
      throw new ConflictError(`recording ${id} is being stopped already: its first stop request answers`);
    }
    entry.stopAsked = true;
    void entry.recording.finish("stop").catch(() => undefined);
    try {
      return await entry.outcome;
    } finally {
      if (this.#entries.get(id) === entry) this.#entries.delete(id);
    }
  }

  /** The finished video's path; ConflictError while it is still being recorded. */
  async video(envId: string, id: string): Promise<string> {
    const entry = this.#entries.get(id);
    if (entry?.envId === envId && entry.recording.active) {
      throw new ConflictError(
        `recording ${id} is still running: stop it first (POST /v1/environments/${envId}/recordings/${id}/stop)`,
      );
    }
    if (entry?.envId === envId) await entry.outcome.catch(() => undefined);
    const file = await this.#options.store.video(envId, id);
    if (!file) throw unknownRecording(envId, id);
    return file;
  }

  /** ffmpeg processes of the environment's recordings still running (for tests and logs). */
  pids(envId: string): number[] {
    return [...this.#entries.values()].flatMap((e) =>
      e.envId === envId && e.recording.pid !== undefined ? [e.recording.pid] : [],
    );
  }

  /** The environment is going: its recordings are killed and their files removed. */
  async discard(envId: string): Promise<void> {
    const entries = [...this.#entries].filter(([, entry]) => entry.envId === envId);
    for (const [id, entry] of entries) {
      entry.discarded = true;
      this.#entries.delete(id);
    }
    await Promise.all(entries.map(([, entry]) => entry.recording.discard()));
    await Promise.all(entries.map(([, entry]) => entry.outcome.catch(() => undefined)));
    await this.#options.store.removeAll(envId);
  }

  /** previewd stops: running recordings end here, their videos written. */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()];
    await Promise.all(
      entries.map((entry) => entry.recording.finish("previewd-stopped").catch(() => undefined)),
    );
    await Promise.all(entries.map((entry) => entry.outcome.catch(() => undefined)));
  }
}

/** The labels the process runtime and the browsers carry too (browser-labels.ts), with its own role. */
export function recordingLabels(owner: string, envId: string): Record<string, string> {
  return { [OWNER_LABEL]: owner, [ENV_LABEL]: envId, [ROLE_LABEL]: "recording", [NAME_LABEL]: "ffmpeg" };
}

async function pageUrlOf(browser: RecordableBrowser, envId: string, targetId: string): Promise<string> {
  const info = await browser.cdp
    .send<{ targetInfo: { type: string; url: string } }>("Target.getTargetInfo", { targetId })
    .catch(() => undefined);
  if (!info || info.targetInfo.type !== "page" || browser.internalTargets.has(targetId)) {
    throw unknownTarget(envId, targetId, "no such page is open");
  }
  return info.targetInfo.url;
}

function unknownRecording(envId: string, id: string): NotFoundError {
  return new NotFoundError(
    `no recording ${JSON.stringify(id)} in environment ${envId}: ` +
      `POST /v1/environments/${envId}/recordings starts one and answers its id`,
  );
}

function unknownTarget(envId: string, targetId: string, why: string): NotFoundError {
  return new NotFoundError(
    `no page ${JSON.stringify(targetId)} to record in environment ${envId} (${why}): ` +
      "GET /v1/environments/" +
      `${envId}/devtools/json/list shows its pages and their ids`,
    { errors: [{ path: "targetId", message: `no open page with id ${JSON.stringify(targetId)}` }] },
  );
}
