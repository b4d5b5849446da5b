import { describe, expect, it } from "vitest";
import { clientMessages } from "./client-messages.ts";
import type { ClientConnection } from "./client-pages.ts";

function recorder(pageTarget?: string) {
  const opened = { pages: [] as string[], contexts: [] as string[] };
  const navigated: string[] = [];
  const connection: ClientConnection = {
    openedPage: (id) => void opened.pages.push(id),
    openedContext: (id) => void opened.contexts.push(id),
    navigated: (id) => void navigated.push(id),
    claim: () => undefined,
    disconnect: async () => undefined,
  };
  return { opened, navigated, messages: clientMessages(connection, pageTarget) };
}

const frame = (value: unknown) => Buffer.from(JSON.stringify(value));

describe("what a client connection opens", () => {
  it("notes pages and contexts from the browser's answers to its own commands, sessions apart", () => {
    const { opened, messages } = recorder();
    messages.fromClient(frame({ id: 1, method: "Target.createTarget", params: { url: "about:blank" } }));
    messages.fromClient(frame({ id: 1, method: "Target.createTarget", params: {}, sessionId: "S" }));
    messages.fromClient(frame({ id: 2, method: "Target.createBrowserContext", params: {} }));
    messages.fromClient(
      frame({ id: 3, method: "Runtime.evaluate", params: { expression: "'Target.createTarget'" } }),
    );
    messages.toClient(frame({ id: 3, result: { targetId: "NOT-A-PAGE" } }));
    messages.toClient(
      frame({ method: "Target.targetCreated", params: { targetInfo: { targetId: "EVENT" } } }),
    );
    messages.toClient(frame({ id: 1, result: { targetId: "P1" } }));
    messages.toClient(frame({ id: 1, result: { targetId: "P2" }, sessionId: "S" }));
    messages.toClient(frame({ id: 2, result: { browserContextId: "C1" } }));
    messages.toClient(frame({ id: 1, result: { targetId: "AGAIN" } }));
    expect(opened).toEqual({ pages: ["P1", "P2"], contexts: ["C1"] });
  });

  it("answers a browser-level Browser.close itself, and passes a session's on", () => {
    const { messages } = recorder();
    expect(messages.fromClient(frame({ id: 7, method: "Browser.close", params: {} }))).toBe(
      '{"id":7,"result":{}}',
    );
    expect(messages.fromClient(frame({ id: 8, method: "Browser.close", sessionId: "S" }))).toBeUndefined();
    expect(messages.fromClient(frame({ id: 9, method: "Browser.getVersion" }))).toBeUndefined();
  });

  it("notes the pages it navigates, by their auto-attached or attached sessions, or its own page", () => {
    const { navigated, messages } = recorder();
    const navigate = (id: number, sessionId?: string) =>
      messages.fromClient(frame({ id, method: "Page.navigate", params: { url: "http://x/" }, sessionId }));
    // Auto-attached (Puppeteer, Playwright): the event names the session and its target.
    messages.toClient(
      frame({
        method: "Target.attachedToTarget",
        params: {
          sessionId: "A",
          targetInfo: { targetId: "FIRST", type: "page" },
          waitingForDebugger: false,
        },
      }),
    );
    messages.toClient(
      frame({
        method: "Target.attachedToTarget",
        params: { sessionId: "W", targetInfo: { targetId: "WORKER", type: "service_worker" } },
      }),
    );
    navigate(1, "A");
    navigate(2, "W");
    navigate(3); // a browser-level message navigates nothing
    // Attached on request: the answer names the session.
    messages.fromClient(
      frame({ id: 4, method: "Target.attachToTarget", params: { targetId: "OTHER", flatten: true } }),
    );
    messages.toClient(frame({ id: 4, result: { sessionId: "B" } }));
    messages.fromClient(
      frame({ id: 5, method: "Page.navigateToHistoryEntry", params: { entryId: 1 }, sessionId: "B" }),
    );
    // Gone sessions navigate nothing.
    messages.toClient(
      frame({ method: "Target.detachedFromTarget", params: { sessionId: "A", targetId: "FIRST" } }),
    );
    navigate(6, "A");
    messages.fromClient(frame({ id: 7, method: "Page.reload", params: {}, sessionId: "B" }));
    expect(navigated).toEqual(["FIRST", "OTHER"]);

    const page = recorder("PAGE");
    page.messages.fromClient(frame({ id: 1, method: "Page.navigate", params: { url: "http://x/" } }));
    expect(page.navigated).toEqual(["PAGE"]);
  });
});
