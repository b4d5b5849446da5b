/**
 * A CDP screencast of one page on the bridge's own DevTools connection (never a client's, so it
 * outlives whoever asked for it): a flat session of its own on the page, `Page.startScreencast`,
 * every frame acknowledged with `Page.screencastFrameAck` (Chrome sends the next one only then),
 * and one `onEnd` when the page goes (closed, crashed, or the browser gone).
 */
import type { CdpConnection } from "../cdp/cdp-connection.ts";

export interface ScreencastFrame {
  jpeg: Buffer;
  /** When Chrome painted it, in seconds since the epoch. */
  timestamp: number;
}

export type ScreencastEnd = "page-closed" | "browser-gone";

export interface ScreencastOptions {
  onFrame(frame: ScreencastFrame): void;
  onEnd(reason: ScreencastEnd): void;
}

/** Frames are at most this many pixels on a side (the video's size follows the page's viewport). */
export const MAX_VIDEO_SIDE = 1280;

export class PageScreencast {
  readonly #cdp: CdpConnection;
  readonly #sessionId: string;
  readonly #unsubscribe: (() => void)[] = [];
  #ended = false;

  private constructor(
    cdp: CdpConnection,
    sessionId: string,
    readonly targetId: string,
    /** The video's size: the viewport's, scaled to fit MAX_VIDEO_SIDE, in even pixels. */
    readonly size: { width: number; height: number },
  ) {
    this.#cdp = cdp;
    this.#sessionId = sessionId;
  }

  /** Attaches to the page and reads its viewport; frames flow once `start` is called. */
  static async attach(cdp: CdpConnection, targetId: string): Promise<PageScreencast> {
    const { sessionId } = await cdp.send<{ sessionId: string }>("Target.attachToTarget", {
      targetId,
      flatten: true,
    });
    try {
      // A tab behind another paints no frames; focus emulation keeps it painting (as Playwright does).
      await cdp.send("Emulation.setFocusEmulationEnabled", { enabled: true }, sessionId);
      const metrics = await cdp.send<{ cssVisualViewport?: { clientWidth: number; clientHeight: number } }>(
        "Page.getLayoutMetrics",
        {},
        sessionId,
      );
      const viewport = metrics.cssVisualViewport ?? { clientWidth: 1280, clientHeight: 720 };
      return new PageScreencast(
        cdp,
        sessionId,
        targetId,
        videoSize(viewport.clientWidth, viewport.clientHeight),
      );
    } catch (error) {
      await cdp.send("Target.detachFromTarget", { sessionId }).catch(() => undefined);
      throw error;
    }
  }

  async start(options: ScreencastOptions): Promise<void> {
    const cdp = this.#cdp;
    const end = (reason: ScreencastEnd) => {
      if (this.#ended) return;
      this.#ended = true;
      this.#unlisten();
      options.onEnd(reason);
    };
    this.#unsubscribe.push(
      cdp.on("Page.screencastFrame", (params, from) => {
        if (from !== this.#sessionId || this.#ended) return;
        cdp
          .send("Page.screencastFrameAck", { sessionId: params.sessionId }, this.#sessionId)
          .catch(() => undefined);
        const metadata = (params.metadata ?? {}) as { timestamp?: number };
        options.onFrame({
          jpeg: Buffer.from(String(params.data), "base64"),
          timestamp: metadata.timestamp ?? Date.now() / 1000,
        });
      }),
      cdp.on("Target.detachedFromTarget", (params) => {
        if (params.sessionId === this.#sessionId) end("page-closed");
      }),
      cdp.on("Target.targetDestroyed", (params) => {
        if (params.targetId === this.targetId) end("page-closed");
      }),
      cdp.on("Target.targetCrashed", (params) => {
        if (params.targetId === this.targetId) end("page-closed");
      }),
    );
    void cdp.closed.then(() => end("browser-gone"));
    await cdp.send(
      "Page.startScreencast",
      {
        format: "jpeg",
        quality: 80,
        maxWidth: this.size.width,
        maxHeight: this.size.height,
        everyNthFrame: 1,
      },
      this.#sessionId,
    );
  }

  /** The page as it is now, as a JPEG frame (for a page that has not painted since the start). */
  async capture(): Promise<ScreencastFrame | undefined> {
    if (this.#ended) return undefined;
    const timestamp = Date.now() / 1000;
    const shot = await this.#cdp
      .send<{ data: string }>("Page.captureScreenshot", { format: "jpeg", quality: 80 }, this.#sessionId)
      .catch(() => undefined);
    return shot && { jpeg: Buffer.from(shot.data, "base64"), timestamp };
  }

  /** Stops the frames and leaves the page as it was. */
  async stop(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    this.#unlisten();
    await this.#cdp.send("Page.stopScreencast", {}, this.#sessionId).catch(() => undefined);
    await this.#cdp.send("Target.detachFromTarget", { sessionId: this.#sessionId }).catch(() => undefined);
  }

  #unlisten(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }
}

/** The viewport scaled to fit MAX_VIDEO_SIDE, rounded to even sizes (VP8's 4:2:0 needs them). */
export function videoSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_VIDEO_SIDE / Math.max(width, height, 1));
  const even = (n: number) => Math.max(2, 2 * Math.round((n * scale) / 2));
  return { width: even(width), height: even(height) };
}
