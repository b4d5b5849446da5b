/**
 * How containers reach previewd's flags. Containers cannot reach 127.0.0.1 on the host, so each
 * environment gets a small listener on its network's gateway address (reachable from its
 * containers as `host.docker.internal`) that forwards only that environment's OFREP requests
 * (evaluation, change events, configuration) to previewd, the flags token included. Nothing else of the API is reachable
 * from a container, and no other environment's flags either.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../../logger.ts";

export const gatewayHostname = "host.docker.internal";
const maxBody = 64 * 1024;
const forwardedHeaders = [
  "content-type",
  "content-length",
  "authorization",
  "if-none-match",
  "accept",
  "last-event-id",
];
const returnedHeaders = ["content-type", "etag", "cache-control", "content-length"];

export interface FlagsGateway {
  /** The port on the gateway address; kept in the deployment so a restart listens on the same one. */
  port: number;
  /** PREVIEW_FLAGS_URL as the environment's containers must use it. */
  containerFlagsUrl: string;
  /** Points the gateway at previewd's current flags URL (its port may change across restarts). */
  retarget(flagsUrl: string): void;
  close(): Promise<void>;
}

function refuse(res: ServerResponse, status: number, detail: string): void {
  res.writeHead(status, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: "about:blank", title: "Not Found", status, detail }));
}

/** Only OFREP, only this environment: evaluation (POST), change events and configuration (GET). */
function allowedRequest(req: IncomingMessage, base: string): boolean {
  const path = (req.url ?? "").split("?")[0] ?? "";
  if (!path.startsWith(`${base}/ofrep/v1/`)) return false;
  const rest = path.slice(`${base}/ofrep/v1/`.length);
  if (req.method === "POST") return /^evaluate\/flags(\/[^/]+)?$/.test(rest);
  if (req.method === "GET") return rest === "events" || rest === "configuration";
  return false;
}

export async function startFlagsGateway(options: {
  host: string;
  port?: number;
  flagsUrl: string;
  logger: Logger;
}): Promise<FlagsGateway> {
  let target = new URL(options.flagsUrl);
  const server: Server = createServer((req, res) => {
    if (!allowedRequest(req, target.pathname)) {
      return refuse(res, 404, "this address serves only this environment's OFREP endpoints");
    }
    const headers: Record<string, string> = {};
    for (const name of forwardedHeaders) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    let size = 0;
    // Streamed both ways: the events endpoint is Server-Sent Events.
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
      (answer) => {
        const out: Record<string, string> = {};
        for (const name of returnedHeaders) {
          const value = answer.headers[name];
          if (typeof value === "string") out[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      options.logger.warn({ err: error }, "flags gateway could not reach previewd");
      if (!res.headersSent) refuse(res, 502, "previewd is not answering");
      else res.destroy();
    });
    res.on("close", () => upstream.destroy());
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) {
        upstream.destroy();
        if (!res.headersSent) refuse(res, 413, "request body too large");
      }
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get containerFlagsUrl() {
      return `http://${gatewayHostname}:${port}${target.pathname}`;
    },
    retarget(flagsUrl) {
      target = new URL(flagsUrl);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
