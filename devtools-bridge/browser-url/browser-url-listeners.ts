/**
 * Each environment's own loopback port (`devtools.browserUrl`), where Chrome's remote-debugging
 * endpoints sit at the root, so clients that only take a host and port (Puppeteer's `browserURL`,
 * chrome-remote-interface's `{host, port}`) connect with no path tricks. A port is opened before
 * anyone sees the environment, stays its own across restarts (browser-url-ports.ts; another one
 * only if that port is taken meanwhile) and is freed when the environment is deleted.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "../../provisioner/logger.ts";
import type { UpgradeHandler } from "../cdp/cdp-websocket-proxy.ts";
import type { BrowserUrlPorts } from "./browser-url-ports.ts";

/** What one environment's listener serves (browser-url-server.ts). */
export interface BrowserUrlHandlers {
  request: http.RequestListener;
  upgrade: UpgradeHandler;
}

interface Listener {
  server: http.Server;
  port: number;
  upgraded: Set<Duplex>;
}

export class BrowserUrlListeners {
  readonly #listeners = new Map<string, Listener>();
  readonly #opening = new Map<string, Promise<Listener>>();

  constructor(
    private readonly ports: BrowserUrlPorts,
    private readonly handlers: (envId: string) => BrowserUrlHandlers,
    private readonly logger: Logger,
  ) {}

  /** `http://127.0.0.1:<port>` once the environment's listener is open. */
  url(envId: string): string | undefined {
    const listener = this.#listeners.get(envId);
    return listener && `http://127.0.0.1:${listener.port}`;
  }

  /** Opens the environment's listener, on the port it had before if there was one. Idempotent. */
  async open(envId: string): Promise<string> {
    let opening = this.#opening.get(envId);
    if (!opening) {
      opening = this.#listeners.has(envId)
        ? Promise.resolve(this.#listeners.get(envId)!)
        : this.#start(envId);
      this.#opening.set(envId, opening);
      void opening.then(
        () => this.#opening.delete(envId),
        () => this.#opening.delete(envId),
      );
    }
    return `http://127.0.0.1:${(await opening).port}`;
  }

  /** At start: listeners for these environments, and no remembered port for any other. */
  async restore(envIds: readonly string[]): Promise<void> {
    await this.ports.keepOnly(envIds);
    for (const envId of envIds) await this.open(envId);
  }

  /** The environment is gone: its port is freed and forgotten. */
  async close(envId: string): Promise<void> {
    await this.#opening.get(envId)?.catch(() => undefined);
    const listener = this.#listeners.get(envId);
    this.#listeners.delete(envId);
    if (listener) await stop(listener);
    await this.ports.delete(envId);
  }

  /** previewd stops: every listener closes, ports stay remembered for the next start. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#opening.values()].map((opening) => opening.catch(() => undefined)));
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all(listeners.map(stop));
  }

  async #start(envId: string): Promise<Listener> {
    const remembered = this.ports.get(envId);
    let listener: Listener;
    try {
      listener = await listen(this.handlers(envId), remembered ?? 0, this.logger);
    } catch (error) {
      if (remembered === undefined) throw error;
      this.logger.warn(
        { env: envId, port: remembered, err: error },
        "the environment's browserUrl port is taken; it gets another",
      );
      listener = await listen(this.handlers(envId), 0, this.logger);
    }
    try {
      if (listener.port !== remembered) await this.ports.set(envId, listener.port);
    } catch (error) {
      await stop(listener);
      throw error;
    }
    this.#listeners.set(envId, listener);
    return listener;
  }
}

function listen(handlers: BrowserUrlHandlers, port: number, logger: Logger): Promise<Listener> {
  const upgraded = new Set<Duplex>();
  const server = http.createServer(handlers.request);
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Upgraded sockets leave the server's connection tracking, so stopping must end them itself.
    upgraded.add(socket);
    socket.on("close", () => upgraded.delete(socket));
    socket.on("error", (error) => logger.debug({ err: error }, "browserUrl socket error"));
    if (handlers.upgrade(req, socket, head)) return;
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Loopback only, whatever PREVIEWD_HOST says: a browser is not something to publish.
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve({ server, port: (server.address() as AddressInfo).port, upgraded });
    });
  });
}

function stop({ server, upgraded }: Listener): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of upgraded) socket.destroy();
  });
}
