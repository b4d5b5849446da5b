/**
 * With keep-alive, the app may close an idle connection just as the proxy sends a request on it
 * (its keep-alive timeout ran out): the request fails with a reset before any byte of answer. A
 * request that has no body and changes nothing (GET, HEAD, OPTIONS) is then sent once more on a
 * new connection, as browsers do; anything else fails with 502, since the app may have acted on it.
 */
import type http from "node:http";

const replayableMethods = new Set(["GET", "HEAD", "OPTIONS"]);
const staleCodes = new Set(["ECONNRESET", "EPIPE"]);

/** The headers http-proxy-3 appends to (xfwd): a second attempt starts from the client's values. */
const forwardedHeaders = ["x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-forwarded-host"];

export type ForwardedHeaders = Record<string, string | string[] | undefined>;

export function forwardedHeadersOf(req: http.IncomingMessage): ForwardedHeaders {
  return Object.fromEntries(forwardedHeaders.map((name) => [name, req.headers[name]]));
}

export function restoreForwardedHeaders(req: http.IncomingMessage, saved: ForwardedHeaders): void {
  for (const name of forwardedHeaders) {
    if (saved[name] === undefined) delete req.headers[name];
    else req.headers[name] = saved[name];
  }
}

/** Whether the failed attempt may be made again on a new connection. */
export function retryableOnNewConnection(
  error: Error,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  proxyReq: http.ClientRequest | undefined,
): boolean {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  const bodyless =
    req.headers["transfer-encoding"] === undefined && Number(req.headers["content-length"] ?? 0) === 0;
  return (
    proxyReq?.reusedSocket === true &&
    staleCodes.has(code) &&
    replayableMethods.has(req.method ?? "") &&
    bodyless &&
    !res.headersSent
  );
}
