/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe the client's connection to previewd, not
 * previewd's to the app: a client's `Connection: close` must not close a pooled connection to the
 * app after one answer. Removed from requests (not upgrades) before they are proxied.
 */
import type http from "node:http";

const hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"];

export function dropHopByHopHeaders(req: http.IncomingMessage): void {
  // Headers the client named in Connection are hop-by-hop too.
  const named = (req.headers.connection ?? "").split(",").map((name) => name.trim().toLowerCase());
  for (const name of [...hopByHop, ...named]) if (name && name !== "host") delete req.headers[name];
}
