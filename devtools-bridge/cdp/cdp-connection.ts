/**
 * A minimal DevTools Protocol client over one WebSocket, with flat sessions: what the bridge
 * itself needs (browser events, screenshots). Clients of the bridge bring their own.
 */
import WebSocket from "ws";
import { CdpError } from "../bridge-errors.ts";

type Params = Record<string, unknown>;
type Listener = (params: Params, sessionId: string | undefined) => void;

interface Pending {
  method: string;
  resolve(result: Params): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class CdpConnection {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly closed: Promise<void>;
  #nextId = 1;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("message", (data) => this.#receive(String(data)));
    socket.on("error", () => socket.terminate());
    void this.closed.then(() => {
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new CdpError(`${pending.method}: the browser connection closed`));
      }
      this.#pending.clear();
    });
  }

  static open(url: string, timeoutMs = 10_000): Promise<CdpConnection> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new CdpError(`no DevTools connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("open", () => {
        clearTimeout(timer);
        resolve(new CdpConnection(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(new CdpError(`DevTools connection to ${url} failed: ${error.message}`));
      });
    });
  }

  get isOpen(): boolean {
    return this.#socket.readyState === WebSocket.OPEN;
  }

  send<T = Params>(method: string, params: Params = {}, sessionId?: string, timeoutMs = 30_000): Promise<T> {
    if (!this.isOpen) return Promise.reject(new CdpError(`${method}: the browser connection is closed`));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new CdpError(`${method}: no answer from the browser within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { method, resolve: resolve as (r: Params) => void, reject, timer });
      this.#socket.send(JSON.stringify({ id, method, params, ...(sessionId && { sessionId }) }));
    });
  }

  /** Listen to an event by method name (`Runtime.consoleAPICalled`); returns the unsubscribe function. */
  on(method: string, listener: Listener): () => void {
    let set = this.#listeners.get(method);
    if (!set) this.#listeners.set(method, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  close(): void {
    this.#socket.close();
  }

  #receive(text: string): void {
    let message: {
      id?: number;
      method?: string;
      params?: Params;
      result?: Params;
      error?: { message?: string };
      sessionId?: string;
    };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error)
        pending.reject(new CdpError(`${pending.method}: ${message.error.message ?? "failed"}`));
      else pending.resolve(message.result ?? {});
      return;
    }
    if (!message.method) return;
    for (const listener of this.#listeners.get(message.method) ?? [])
      listener(message.params ?? {}, message.sessionId);
  }
}
