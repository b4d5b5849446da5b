/**
 * Two failures a proxied request is sent again after, once, because the app cannot have seen it:
 * - with keep-alive, the app may close an idle connection just as the proxy sends a request on it
 *   (its keep-alive timeout ran out): the request fails with a reset before any byte of answer. A
 *   request that has no body and changes nothing (GET, HEAD, OPTIONS) is then sent once more on a
 *   new connection, as browsers do; anything else fails with 502, since the app may have acted on it;
 * - a request that looked its app up just before a switchover and connects after the old instance
 *   stopped is refused (ECONNREFUSED: nothing was sent). One without a body, whatever its method, is
 *   then looked up again and sent once to the new instance if the record names another one.
 */
import type http from "node:http";

const replayableMethods = new Set(["GET", "HEAD", "OPTIONS"]);
const staleCodes = new Set(["ECONNRESET", "EPIPE"]);

/** The headers http-proxy-3 appends to (xfwd): a second attempt starts from the client's values. */
export interface ForwardedHeaders {
  "x-forwarded-for": string | undefined;
  "x-forwarded-port": string | undefined;
  "x-forwarded-proto": string | undefined;
  "x-forwarded-host": string | undefined;
}
const forwardedHeaders = [
  "x-forwarded-for",
  "x-forwarded-port",
  "x-forwarded-proto",
  "x-forwarded-host",
] as const;

/** Read for every proxied request: one object, no intermediate arrays. */
export function forwardedHeadersOf(req: http.IncomingMessage): ForwardedHeaders {
  const headers = req.headers as Record<string, string | undefined>;
  return {
    "x-forwarded-for": headers["x-forwarded-for"],
    "x-forwarded-port": headers["x-forwarded-port"],
    "x-forwarded-proto": headers["x-forwarded-proto"],
    "x-forwarded-host": headers["x-forwarded-host"],
  };
}

export function restoreForwardedHeaders(req: http.IncomingMessage, saved: ForwardedHeaders): void {
  for (const name of forwardedHeaders) {
    const value = saved[name];
    if (value === undefined) delete req.headers[name];
    else req.headers[name] = value;
  }
}

function bodyless(req: http.IncomingMessage): boolean {
  return req.headers["transfer-encoding"] === undefined && Number(req.headers["content-length"] ?? 0) === 0;
}

/** Whether the failed attempt may be made again on a new connection. */
export function retryableOnNewConnection(
  error: Error,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  proxyReq: http.ClientRequest | undefined,
): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return (
    proxyReq?.reusedSocket === true &&
    staleCodes.has(code) &&
    replayableMethods.has(req.method ?? "") &&
    bodyless(req) &&
    !res.headersSent
  );
}

/**
 * Whether the attempt never reached an app (its connection was refused) and can be sent elsewhere
 * as it is: its body, if any, was already read into the refused attempt.
 */
export function resendableAfterRefusal(
  error: Error,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): boolean {
  return (error as NodeJS.ErrnoException).code === "ECONNREFUSED" && bodyless(req) && !res.headersSent;
}
