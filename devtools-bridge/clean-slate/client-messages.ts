/**
 * What the bridge reads in one client connection's messages: the pages and browser contexts it
 * opens (the browser's answers to its `Target.createTarget` and `Target.createBrowserContext`),
 * so they can be closed when it leaves; the pages it navigates (`Page.navigate` in a session
 * attached to a page, or on a page's own WebSocket), so a page it did not open but took over,
 * like the browser's first page that Chrome DevTools MCP and Playwright MCP drive, is not left
 * at its URL for the next client; and `Browser.close`, answered by the bridge and never passed
 * on, since one client must not close the environment's browser for every other (Puppeteer's
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

type Ask = { kind: "page" } | { kind: "context" } | { kind: "session"; targetId: string };

const created: Record<string, Ask> = {
  "Target.createTarget": { kind: "page" },
  "Target.createBrowserContext": { kind: "context" },
};
const navigations = new Set(["Page.navigate", "Page.navigateToHistoryEntry"]);
// Chrome writes events with "method" first and answers with "id" first.
const attachedEvent = '{"method":"Target.attachedToTarget"';
const detachedEvent = '{"method":"Target.detachedFromTarget"';

/** `pageTarget`: the page a page-level connection (`/devtools/page/<id>`) speaks to. */
export function clientMessages(connection: ClientConnection, pageTarget?: string): ClientMessages {
  // Keyed by session and id: ids inside a session are that session's own numbering.
  const pending = new Map<string, Ask>();
  // The client's flat sessions on pages: session id → page.
  const sessions = new Map<string, string>();
  return {
    fromClient(data) {
      const bytes = bufferOf(data);
      if (
        !bytes.includes('"Target.') &&
        !bytes.includes('"Browser.close"') &&
        !bytes.includes('"Page.navigate')
      )
        return undefined;
      const message = parseMessage(bytes.toString("utf8"));
      if (typeof message?.id !== "number" || typeof message.method !== "string") return undefined;
      const sessionId = typeof message.sessionId === "string" ? message.sessionId : undefined;
      if (message.method === "Browser.close" && !sessionId)
        return JSON.stringify({ id: message.id, result: {} });
      if (navigations.has(message.method)) {
        const page = sessionId ? sessions.get(sessionId) : pageTarget;
        if (page) connection.navigated(page);
        return undefined;
      }
      const targetId = (message.params as { targetId?: unknown } | undefined)?.targetId;
      const ask =
        message.method === "Target.attachToTarget"
          ? typeof targetId === "string"
            ? ({ kind: "session", targetId } as const)
            : undefined
          : created[message.method];
      if (ask) pending.set(key(sessionId, message.id), ask);
      return undefined;
    },
    toClient(data) {
      const bytes = bufferOf(data);
      const head = bytes.subarray(0, detachedEvent.length).toString("latin1");
      if (head.startsWith(attachedEvent) || head === detachedEvent) return session(bytes);
      if (pending.size === 0 || !head.startsWith('{"id":')) return;
      const message = parseMessage(bytes.toString("utf8"));
      if (typeof message?.id !== "number") return;
      const sessionKey = key(
        typeof message.sessionId === "string" ? message.sessionId : undefined,
        message.id,
      );
      const ask = pending.get(sessionKey);
      if (!ask) return;
      pending.delete(sessionKey);
      const result = (message.result ?? {}) as Record<string, unknown>;
      if (ask.kind === "page" && typeof result.targetId === "string") connection.openedPage(result.targetId);
      if (ask.kind === "context" && typeof result.browserContextId === "string")
        connection.openedContext(result.browserContextId);
      if (ask.kind === "session" && typeof result.sessionId === "string")
        sessions.set(result.sessionId, ask.targetId);
    },
  };

  /** Auto-attached sessions (Puppeteer's and Playwright's way) come and go as events. */
  function session(bytes: Buffer): void {
    const params = parseMessage(bytes.toString("utf8"))?.params as
      { sessionId?: unknown; targetInfo?: { targetId?: unknown; type?: unknown } } | undefined;
    if (typeof params?.sessionId !== "string") return;
    const info = params.targetInfo;
    if (!info) return void sessions.delete(params.sessionId);
    if (info.type === "page" && typeof info.targetId === "string")
      sessions.set(params.sessionId, info.targetId);
  }
}

function key(sessionId: string | undefined, id: number): string {
  return `${sessionId ?? ""}#${id}`;
}
