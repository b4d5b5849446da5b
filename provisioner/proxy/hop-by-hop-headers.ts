/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe the client's connection to previewd, not
 * previewd's to the app: a client's `Connection: close` must not close a pooled connection to the
 * app after one answer. Removed from requests (not upgrades) before they are proxied.
 */
import type http from "node:http";

const hopByHop = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"];

export function dropHopByHopHeaders(req: http.IncomingMessage): void {
  const headers = req.headers;
  const connection = headers.connection;
  // Runs for every proxied request: only what is there is deleted, and Connection split only when sent.
  for (const name of hopByHop) if (headers[name] !== undefined) delete headers[name];
  if (connection === undefined) return;
  // Headers the client named in Connection are hop-by-hop too.
  for (const named of connection.split(",")) {
    const name = named.trim().toLowerCase();
    if (name && name !== "host") delete headers[name];
  }
}
