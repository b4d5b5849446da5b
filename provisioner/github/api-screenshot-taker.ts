/**
 * Screenshots for PR comments through previewd's own screenshot API (the DevTools bridge's
 * `POST /v1/environments/:id/screenshots`), so this module needs nothing of the bridge but its
 * contract. Links point at the PNG under the public base URL.
 */
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
  return {
    async takeScreenshot(envId, app) {
      const base = `/v1/environments/${encodeURIComponent(envId)}/screenshots`;
      const response = await fetch(`${options.origin()}${base}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(options.token && { authorization: `Bearer ${options.token}` }),
        },
        body: JSON.stringify({ app }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
      if (response.status !== 201) {
        const detail = await response.text();
        options.logger.warn({ env: envId, app, status: response.status, detail }, "screenshot API refused");
        return undefined;
      }
      const { id } = (await response.json()) as { id?: unknown };
      if (typeof id !== "string") return undefined;
      return { url: `${options.publicUrl().replace(/\/+$/, "")}${base}/${encodeURIComponent(id)}.png` };
    },
  };
}
