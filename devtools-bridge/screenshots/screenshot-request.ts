/**
 * `POST /v1/environments/:id/screenshots`: the request, its caps, and which page it means.
 * Caps keep a screenshot small enough for an agent's context: the viewport is at most
 * 1920×1080 CSS pixels (default 1280×720) and a full-page capture at most 4000 pixels tall.
 */
import { z } from "zod";
import { ValidationError } from "../../provisioner/errors.ts";

export const MAX_VIEWPORT_WIDTH = 1920;
export const MAX_VIEWPORT_HEIGHT = 1080;
export const MAX_FULL_PAGE_HEIGHT = 4000;
export const DEFAULT_VIEWPORT = { width: 1280, height: 720 };

export const screenshotRequestSchema = z.strictObject({
  app: z.string().min(1).max(64).optional().describe('default: "web" if there is one, else the first app'),
  path: z
    .string()
    .max(2048)
    .regex(/^\//, 'expected a path starting with "/"')
    .optional()
    .describe("path on the app's preview URL; default /"),
  url: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe("one of the environment's preview URLs (with any path), or a path"),
  fullPage: z.boolean().optional().describe(`capture the whole page, up to ${MAX_FULL_PAGE_HEIGHT} px tall`),
  width: z.number().int().min(100).max(MAX_VIEWPORT_WIDTH).optional(),
  height: z.number().int().min(100).max(MAX_VIEWPORT_HEIGHT).optional(),
  waitFor: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .describe('"load" (default), "networkidle", or a CSS selector that must match'),
  timeout: z.number().positive().max(120).optional().describe("seconds to wait for the page (default 30)"),
});
export type ScreenshotRequest = z.infer<typeof screenshotRequestSchema>;

/** The page to open: an app's public preview URL plus a path, or a full preview URL. */
export function resolvePageUrl(request: ScreenshotRequest, previewUrls: Record<string, string>): string {
  const apps = Object.keys(previewUrls);
  if (request.url !== undefined && request.path !== undefined) {
    throw new ValidationError("give url or path, not both", {
      errors: [{ path: "url", message: "expected either url or path, not both" }],
    });
  }
  if (request.url !== undefined && !request.url.startsWith("/")) {
    const url = parseUrl(request.url);
    const app = apps.find((name) => sameOrigin(previewUrls[name]!, url));
    if (!app || (request.app !== undefined && request.app !== app)) {
      throw new ValidationError(`url ${request.url} is not a preview URL of this environment`, {
        errors: [
          {
            path: "url",
            message: `expected one of the environment's preview URLs (${apps.map((a) => previewUrls[a]).join(", ")}) or a path`,
          },
        ],
      });
    }
    return url.toString();
  }
  const app = request.app ?? (apps.includes("web") ? "web" : apps[0]);
  if (app === undefined || previewUrls[app] === undefined) {
    throw new ValidationError(`no app ${JSON.stringify(request.app)} in this environment`, {
      errors: [{ path: "app", message: `expected one of ${apps.join(", ") || "(no apps)"}` }],
    });
  }
  const field = request.url !== undefined ? "url" : "path";
  return onPreviewHost(request.url ?? request.path ?? "/", previewUrls[app], field);
}

/**
 * A path resolved against the app's preview URL must stay on it: `//host/x` and `/\host/x` are
 * network-path references a URL parser takes to another host (127.0.0.2, the metadata service…).
 */
function onPreviewHost(path: string, previewUrl: string, field: "url" | "path"): string {
  const url = new URL(path, previewUrl);
  if (!/^\/(?![/\\])/.test(path) || !sameOrigin(previewUrl, url)) {
    throw new ValidationError(`${field} ${JSON.stringify(path.slice(0, 200))} leaves the preview host`, {
      errors: [{ path: field, message: `expected a path on ${previewUrl}, starting with a single "/"` }],
    });
  }
  return url.toString();
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ValidationError(`url ${value} is not a URL`, {
      errors: [{ path: "url", message: "expected an absolute preview URL or a path starting with /" }],
    });
  }
}

function sameOrigin(previewUrl: string, url: URL): boolean {
  return new URL(previewUrl).origin === url.origin;
}

/** The answer to a screenshot request, and each entry of the list. */
export interface ScreenshotView {
  id: string;
  /** Where the PNG is served: `…/screenshots/<id>.png`. */
  url: string;
  /** The page that was captured. */
  pageUrl: string;
  width: number;
  height: number;
  /** Errors the page reported while loading: console errors, uncaught exceptions, failed requests. */
  consoleErrors: string[];
  createdAt: string;
}
