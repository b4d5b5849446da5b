import { appendFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { OutputCapture } from "./output-capture.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("OutputCapture", () => {
  it("flushAll puts every line already written into the store, without waiting for the file's watch", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "output-capture-"));
    const logs = new MemoryLogStore();
    const capture = new OutputCapture("env-1", dataDir, logs);
    cleanups.push(async () => {
      await capture.stopAll();
      await rm(dataDir, { recursive: true, force: true });
    });
    const files = await capture.open("twin", "twin");
    await files.close();
    // What an app writes just before it answers the agent, who asks for the logs at once.
    appendFileSync(capture.file("twin", "stdout"), "twin charged #1\ntwin charged #2\n");
    appendFileSync(capture.file("twin", "stderr"), "twin warned\n");
    await capture.flushAll();
    expect(logs.query("env-1").map((entry) => `${entry.stream}: ${entry.line}`)).toEqual(
      expect.arrayContaining(["stdout: twin charged #1", "stdout: twin charged #2", "stderr: twin warned"]),
    );
    expect(logs.query("env-1")).toHaveLength(3);
  });
});
