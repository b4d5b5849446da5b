/**
 * The 401 a protected preview answers: a short page for a person in a browser, problem+json for
 * a client that asks for JSON, and a bare problem on a refused WebSocket upgrade.
 */
import type http from "node:http";
import type { Duplex } from "node:stream";

const wwwAuthenticate = 'Bearer realm="previewd previews"';

export function denyRequest(req: http.IncomingMessage, res: http.ServerResponse, detail: string): void {
  const json = /json/i.test(req.headers.accept ?? "");
  const body = json ? problem(detail) : page(detail);
  res.writeHead(401, {
    "Content-Type": json ? "application/problem+json" : "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    "WWW-Authenticate": wwwAuthenticate,
    "Cache-Control": "no-store",
    Vary: "Accept",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

export function denyUpgrade(socket: Duplex, detail: string): void {
  const body = problem(detail);
  socket.end(
    "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/problem+json\r\n" +
      `WWW-Authenticate: ${wwwAuthenticate}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function problem(detail: string): string {
  return JSON.stringify({ type: "unauthorized", title: "Unauthorized", status: 401, detail });
}

function page(detail: string): string {
  const text = detail.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Preview protected</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#222}</style>
</head><body>
<h1>This preview is protected</h1>
<p>${text}</p>
<p>Share links come with the pull request's preview comment, or from
<code>POST /v1/environments/&lt;id&gt;/share</code> on previewd.</p>
</body></html>
`;
}
