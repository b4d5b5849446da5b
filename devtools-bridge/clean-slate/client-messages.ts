/**
 * What the bridge reads in one client connection's messages: the pages and browser contexts it
 * opens (the browser's answers to its `Target.createTarget` and `Target.createBrowserContext`),
 * so they can be closed when it leaves; and `Browser.close`, answered by the bridge and never
 * passed on, since one client must not close the environment's browser for every other (Puppeteer's
 * `browser.close()` sends it, then disconnects). Only messages naming those methods are parsed.
 */
import type { RawData } from "ws";
import { bufferOf, parseMessage } from "../cdp/relayed-message.ts";
import type { ClientConnection } from "./client-pages.ts";

export interface ClientMessages {
  /** Every client → browser message; a string is the answer to send the client instead of passing it on. */
  fromClient(data: RawData): string | undefined;
  /** Every browser → client message. */
  toClient(data: RawData): void;
}

type Kind = "page" | "context";
const asks: Record<string, Kind> = {
  "Target.createTarget": "page",
  "Target.createBrowserContext": "context",
};

export function clientMessages(connection: ClientConnection): ClientMessages {
  // Keyed by session and id: ids inside a session are that session's own numbering.
  const pending = new Map<string, Kind>();
  return {
    fromClient(data) {
      const bytes = bufferOf(data);
      if (!bytes.includes('"Target.create') && !bytes.includes('"Browser.close"')) return undefined;
      const message = parseMessage(bytes.toString("utf8"));
      if (typeof message?.id !== "number" || typeof message.method !== "string") return undefined;
      const sessionId = typeof message.sessionId === "string" ? message.sessionId : undefined;
      if (message.method === "Browser.close" && !sessionId)
        return JSON.stringify({ id: message.id, result: {} });
      const kind = asks[message.method];
      if (kind) pending.set(key(sessionId, message.id), kind);
      return undefined;
    },
    toClient(data) {
      if (pending.size === 0) return;
      const text = bufferOf(data).toString("utf8");
      // Chrome writes the id first in an answer; events start with "method".
      if (!text.startsWith('{"id":')) return;
      const message = parseMessage(text);
      if (typeof message?.id !== "number") return;
      const sessionKey = key(
        typeof message.sessionId === "string" ? message.sessionId : undefined,
        message.id,
      );
      const kind = pending.get(sessionKey);
      if (!kind) return;
      pending.delete(sessionKey);
      const result = (message.result ?? {}) as { targetId?: unknown; browserContextId?: unknown };
      if (kind === "page" && typeof result.targetId === "string") connection.openedPage(result.targetId);
      if (kind === "context" && typeof result.browserContextId === "string")
        connection.openedContext(result.browserContextId);
    },
  };
}

function key(sessionId: string | undefined, id: number): string {
  return `${sessionId ?? ""}#${id}`;
}
