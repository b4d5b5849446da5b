/**
 * Screenshots for PR comments through previewd's own screenshot API (the DevTools bridge's
 * `POST /v1/environments/:id/screenshots`, called with the CLI's client), so this module needs
 * nothing of the bridge but its contract. Links point at the PNG under the public base URL.
 */
import { ApiProblemError } from "../cli/client-errors.ts";
import { PreviewdClient } from "../cli/client.ts";
import type { Logger } from "../logger.ts";
import type { ScreenshotTaker } from "./screenshot-taker.ts";

export interface ApiScreenshotOptions {
  /** previewd's loopback origin, where the API answers. */
  origin: () => string;
  /** Base of the links put in comments. */
  publicUrl: () => string;
  token?: string;
  logger: Logger;
  timeoutMs?: number;
}

export function apiScreenshotTaker(options: ApiScreenshotOptions): ScreenshotTaker {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timedFetch: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  return {
    async takeScreenshot(envId, app) {
      // origin() is read per call: previewd learns its port only once it listens.
      const client = new PreviewdClient({
        baseUrl: options.origin(),
        token: options.token,
        fetch: timedFetch,
      });
      const shot = await client.takeScreenshot(envId, { app }).catch((error: unknown) => {
        if (!(error instanceof ApiProblemError)) throw error;
        options.logger.warn(
          { env: envId, app, status: error.status, detail: error.message },
          "screenshot API refused",
        );
        return undefined;
      });
      if (!shot) return undefined;
      const base = `/v1/environments/${encodeURIComponent(envId)}/screenshots`;
      return { url: `${options.publicUrl().replace(/\/+$/, "")}${base}/${encodeURIComponent(shot.id)}.png` };
    },
  };
}
