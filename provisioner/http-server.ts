/**
 * One HTTP server for the API and the preview proxy: requests for `<app>--<env>.<base-domain>`
 * go to the proxy, everything else to the API. WebSocket upgrades go to the proxy first, then to
 * any other upgrade handlers (e.g. the CDP bridge). Whatever is not the proxy's passes the request
 * guard first (Host and Origin, see request-guard/), requests and upgrades alike.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "./logger.ts";
import type { RequestGuard } from "./request-guard/request-guard.ts";
import { refuseRequest, refuseUpgrade } from "./request-guard/refusal.ts";

export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;

export interface PreviewRequestHandler {
  /** Returns false when the request is not for a preview host. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  handleUpgrade: UpgradeHandler;
}

export interface StartHttpServerOptions {
  app: http.RequestListener;
  proxy?: PreviewRequestHandler;
  /** Tried in order after the proxy; the first to return true owns the socket. */
  upgradeHandlers?: UpgradeHandler[];
  /** Refuses what is not the proxy's before the app or an upgrade handler sees it. */
  guard?: RequestGuard;
  host: string;
  port: number;
  logger: Logger;
}

export interface RunningHttpServer {
  server: http.Server;
  url: string;
  close(): Promise<void>;
}

export async function startHttpServer(options: StartHttpServerOptions): Promise<RunningHttpServer> {
  const { app, proxy, guard, logger } = options;
  const upgraded = new Set<Duplex>();
  const server = http.createServer((req, res) => {
    if (proxy?.handleRequest(req, res)) return;
    const refusal = guard?.(req);
    if (refusal) return refuseRequest(res, refusal);
    app(req, res);
  });

  server.on("upgrade", (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    // Upgraded sockets leave the server's connection tracking, so close() must end them itself.
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    socket.on("error", (error) => logger.debug({ err: error }, "upgraded socket error"));
    if (proxy?.handleUpgrade(req, socket, head)) return;
    const refusal = guard?.(req);
    if (refusal) return refuseUpgrade(socket, refusal);
    if ((options.upgradeHandlers ?? []).some((handle) => handle(req, socket, head))) return;
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  server.on("clientError", (error, socket) => {
    logger.debug({ err: error }, "client error");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  logger.info({ url }, "listening");

  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SSE streams and keep-alive connections would otherwise hold close() open forever.
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      });
      return closing;
    },
  };
}
