/** The bridge's typed errors; the HTTP edge maps them to problem+json like every PreviewdError. */
import type { ErrorRequestHandler } from "express";
import { PreviewdError, UnavailableError, UpstreamError } from "../provisioner/errors.ts";

/** No Chromium to run, or it would not start. */
export class BrowserUnavailableError extends UnavailableError {
  readonly type = "browser-unavailable";
}

/** Every browser slot is busy; the client should retry after `retryAfterSeconds`. */
export class TooManyBrowsersError extends PreviewdError {
  readonly status = 429;
  readonly type = "too-many-browsers";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A page did not load: a network error (502) or a deadline passed (504). */
export class NavigationError extends PreviewdError {
  readonly type = "navigation";
  constructor(
    message: string,
    readonly status: 502 | 504,
    readonly url: string,
  ) {
    super(message);
  }
}

/** The browser answered a DevTools command with an error, or the connection to it broke. */
export class CdpError extends UpstreamError {
  readonly type = "cdp";
}

/** A 429 tells the client when to come back; the problem document itself comes from the API's handler. */
export const retryAfter: ErrorRequestHandler = (error, _req, res, next) => {
  if (error instanceof TooManyBrowsersError) res.set("Retry-After", String(error.retryAfterSeconds));
  next(error);
};
