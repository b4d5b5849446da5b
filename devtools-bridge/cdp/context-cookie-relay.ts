/**
 * A client's new browser context (Playwright's `browser.newContext()`, Puppeteer's
 * `createBrowserContext()`) starts with an empty cookie jar, so it could not open the
 * environment's protected previews. The relay notes each `Target.createBrowserContext` a client
 * sends and holds the browser's answer until the new context has the preview cookies: the client
 * cannot open a page in the context before it knows the context's id, so no page ever races the
 * cookies. Messages after a held answer wait behind it, keeping their order.
 */
import type { RawData } from "ws";
import { bufferOf, parseMessage } from "./relayed-message.ts";

export interface ContextCookieRelay {
  /** Every client → browser message, before it is passed on. */
  fromClient(data: RawData): void;
  /** Every browser → client message; `send` passes it on, now or once earlier ones have gone. */
  toClient(data: RawData, send: () => void): void;
}

const createContext = "Target.createBrowserContext";

export function contextCookieRelay(
  authorize: (browserContextId: string) => Promise<void>,
  onError: (error: unknown) => void,
): ContextCookieRelay {
  const asked = new Set<number>();
  let queued = 0;
  let tail = Promise.resolve();
  const enqueue = (work: () => Promise<void> | void) => {
    queued++;
    tail = tail
      .then(work)
      .catch(onError)
      .finally(() => queued--);
  };

  return {
    fromClient(data) {
      const bytes = bufferOf(data);
      if (!bytes.includes(createContext)) return;
      const message = parseMessage(bytes.toString("utf8"));
      // Browser-level commands only: ids inside a session are that session's own numbering.
      if (message?.method === createContext && typeof message.id === "number" && !message.sessionId)
        asked.add(message.id);
    },
    toClient(data, send) {
      const contextId = asked.size > 0 ? createdContext(bufferOf(data).toString("utf8"), asked) : undefined;
      if (contextId !== undefined) enqueue(() => authorize(contextId).catch(onError).then(send));
      else if (queued > 0) enqueue(send);
      else send();
    },
  };
}

function createdContext(text: string, asked: Set<number>): string | undefined {
  if (!text.startsWith('{"id":')) return undefined;
  const message = parseMessage(text);
  if (typeof message?.id !== "number" || message.sessionId || !asked.delete(message.id)) return undefined;
  const id = (message.result as { browserContextId?: unknown } | undefined)?.browserContextId;
  return typeof id === "string" ? id : undefined;
}
