import { describe, expect, it } from "vitest";
import type { CdpConnection } from "../cdp/cdp-connection.ts";
import {
  consoleEvent,
  exceptionEvent,
  logEntryEvent,
  watchPageEvents,
  type PageEvent,
} from "./page-events.ts";

/** Just enough of a CdpConnection to feed events of one session to watchPageEvents. */
function fakeSession(): { cdp: CdpConnection; emit(method: string, params: Record<string, unknown>): void } {
  const listeners = new Map<string, ((params: Record<string, unknown>, sessionId: string) => void)[]>();
  const cdp = {
    on(method: string, listener: (params: Record<string, unknown>, sessionId: string) => void) {
      listeners.set(method, [...(listeners.get(method) ?? []), listener]);
      return () => undefined;
    },
  } as unknown as CdpConnection;
  return {
    cdp,
    emit: (method, params) => listeners.get(method)?.forEach((listener) => listener(params, "S")),
  };
}

describe("page events as log lines", () => {
  it("formats console calls with their arguments and level", () => {
    expect(
      consoleEvent({
        type: "error",
        args: [
          { type: "string", value: "failed" },
          { type: "number", value: 3 },
          { type: "object", description: "Object" },
        ],
      }),
    ).toEqual({ kind: "console", level: "error", text: "console.error: failed 3 Object" });
    expect(consoleEvent({ type: "log", args: [{ type: "number", unserializableValue: "NaN" }] }).level).toBe(
      "info",
    );
  });

  it("formats uncaught exceptions with their first line and location", () => {
    const event = exceptionEvent({
      exceptionDetails: {
        text: "Uncaught",
        url: "http://web--e.localhost:7070/",
        lineNumber: 0,
        columnNumber: 9,
        exception: { description: "Error: boom\n    at http://web--e.localhost:7070/:1:10" },
      },
    });
    expect(event.text).toBe("uncaught Error: boom (http://web--e.localhost:7070/:1:10)");
  });

  it("keeps warnings and errors of the Log domain, leaving network entries to Network.*", () => {
    expect(
      logEntryEvent({ entry: { source: "security", level: "error", text: "mixed content" } })?.text,
    ).toBe("security error: mixed content");
    expect(logEntryEvent({ entry: { source: "network", level: "error", text: "404" } })).toBeUndefined();
    expect(logEntryEvent({ entry: { source: "other", level: "verbose", text: "x" } })).toBeUndefined();
  });
});

describe("failed navigations", () => {
  const watch = () => {
    const session = fakeSession();
    const events: PageEvent[] = [];
    watchPageEvents(session.cdp, "S", (event) => events.push(event));
    return { ...session, texts: () => events.map((event) => event.text) };
  };

  it("name the URL that failed, once, whether or not the request was seen", () => {
    const seen = watch();
    seen.emit("Network.requestWillBeSent", {
      requestId: "1",
      type: "Document",
      request: { method: "GET", url: "http://a.test/x" },
    });
    seen.emit("Network.loadingFailed", {
      requestId: "1",
      type: "Document",
      errorText: "net::ERR_CONNECTION_REFUSED",
    });
    seen.emit("Page.frameNavigated", {
      frame: { url: "chrome-error://chromewebdata/", unreachableUrl: "http://a.test/x" },
    });
    expect(seen.texts()).toEqual(["navigation failed: http://a.test/x: net::ERR_CONNECTION_REFUSED"]);

    // A page opened straight at a URL fails before its request is seen: the error page names it.
    const missed = watch();
    missed.emit("Network.loadingFailed", {
      requestId: "9",
      type: "Document",
      errorText: "net::ERR_NAME_NOT_RESOLVED",
    });
    missed.emit("Page.frameNavigated", {
      frame: { url: "chrome-error://chromewebdata/", unreachableUrl: "http://b.test/" },
    });
    expect(missed.texts()).toEqual(["navigation failed: http://b.test/: net::ERR_NAME_NOT_RESOLVED"]);
  });

  it("leave out cancelled navigations and successful ones", () => {
    const page = watch();
    page.emit("Network.requestWillBeSent", {
      requestId: "1",
      type: "Document",
      request: { url: "http://a.test/" },
    });
    page.emit("Network.loadingFailed", {
      requestId: "1",
      type: "Document",
      errorText: "net::ERR_ABORTED",
      canceled: true,
    });
    page.emit("Page.frameNavigated", { frame: { url: "http://a.test/next" } });
    expect(page.texts()).toEqual([]);
  });
});
