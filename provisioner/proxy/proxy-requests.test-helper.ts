/** Requests and listeners the preview proxy's unit tests share. */
import http from "node:http";
import type net from "node:net";
import type { AddressInfo } from "node:net";

export interface Reply {
  status: number;
  body: string;
}

/** A request with its own connection to the proxy, as separate clients make them. */
export function request(
  proxyUrl: string,
  host: string,
  path = "/",
  method = "GET",
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${proxyUrl}${path}`, { method, agent: false, headers: { host } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Listens on a free loopback port; its URL. */
export async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
