import { describe, expect, it } from "vitest";
import { consoleEvent, exceptionEvent, logEntryEvent } from "./page-events.ts";

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
