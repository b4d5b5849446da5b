import { describe, expect, it } from "vitest";
import { ProvisionError } from "../errors.ts";
import {
  capText,
  environmentError,
  MAX_LOG_LINE_CHARS,
  MAX_LOG_LINES,
  MAX_MESSAGE_CHARS,
} from "./environment-error.ts";

describe("environmentError", () => {
  it("keeps a short error as it is", () => {
    const error = new ProvisionError("build of web failed", "build", "web", ["npm ERR! missing script"]);
    expect(environmentError(error)).toEqual({
      step: "build",
      app: "web",
      message: "build of web failed",
      logTail: ["npm ERR! missing script"],
    });
  });

  it("caps a huge message and each log line, and says how much it cut", () => {
    const message = `copy failed: ${"/a/very/long/path ".repeat(4000)}: ENOSPC`;
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${"y".repeat(5000)}`);
    const capped = environmentError(new ProvisionError(message, "install", undefined, lines));
    expect(capped.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(capped.message.startsWith("copy failed: /a/very")).toBe(true);
    expect(capped.message.endsWith(": ENOSPC")).toBe(true);
    expect(capped.message).toMatch(/ … \[\d+ characters cut\] … /);
    expect(capped.logTail).toHaveLength(MAX_LOG_LINES);
    expect(capped.logTail[MAX_LOG_LINES - 1]!.startsWith("line 499 ")).toBe(true);
    for (const line of capped.logTail) expect(line.length).toBeLessThanOrEqual(MAX_LOG_LINE_CHARS);
  });

  it("caps the message of any other error", () => {
    const error = environmentError(new Error("z".repeat(70_000)), "delete");
    expect(error.step).toBe("delete");
    expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  });
});

describe("capText", () => {
  it("cuts exactly to the limit, keeping both ends", () => {
    const text = "a".repeat(1000) + "b".repeat(1000);
    const capped = capText(text, 200);
    expect(capped).toHaveLength(200);
    expect(capped.startsWith("aaa")).toBe(true);
    expect(capped.endsWith("bbb")).toBe(true);
    const marker = / … \[(\d+) characters cut\] … /.exec(capped)!;
    const kept = capped.length - marker[0].length;
    expect(kept + Number(marker[1])).toBe(text.length);
  });
});
