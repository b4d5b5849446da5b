import { describe, expect, it } from "vitest";
import { clientMessages } from "./client-messages.ts";
import type { ClientConnection } from "./client-pages.ts";

function recorder() {
  const opened = { pages: [] as string[], contexts: [] as string[] };
  const connection: ClientConnection = {
    openedPage: (id) => void opened.pages.push(id),
    openedContext: (id) => void opened.contexts.push(id),
    claim: () => undefined,
    disconnect: async () => undefined,
  };
  return { opened, messages: clientMessages(connection) };
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
});
