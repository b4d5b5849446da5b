/**
 * Requests to a browser's own /json endpoints on loopback. Chromium refuses Host headers that
 * are not an IP or localhost (DNS-rebinding protection), so these always send `127.0.0.1:<port>`
 * whatever Host the bridge's client used.
 */
import http from "node:http";
import { CdpError } from "../bridge-errors.ts";

export interface ChromiumReply {
  status: number;
  contentType: string;
  body: string;
}

export function chromiumRequest(
  port: number,
  method: string,
  path: string,
  timeoutMs = 10_000,
): Promise<ChromiumReply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, method, path, headers: { host: `127.0.0.1:${port}` }, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 502,
            contentType: res.headers["content-type"] ?? "text/plain",
            body,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new CdpError(`the browser did not answer ${method} ${path} within ${timeoutMs} ms`)),
    );
    req.on("error", (error) =>
      reject(
        error instanceof CdpError
          ? error
          : new CdpError(`the browser did not answer ${method} ${path}: ${error.message}`),
      ),
    );
    req.end();
  });
}

export async function chromiumJson<T = unknown>(port: number, method: string, path: string): Promise<T> {
  const reply = await chromiumRequest(port, method, path);
  if (reply.status !== 200)
    throw new CdpError(`the browser answered ${method} ${path} with ${reply.status}: ${reply.body.trim()}`);
  return JSON.parse(reply.body) as T;
}
