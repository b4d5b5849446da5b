import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../../test/helpers/processes.ts";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { OutputCapture } from "./output-capture.ts";
import { scanProcesses } from "./process-scan.ts";
import { runCommand } from "./run-command.ts";

const owner = `run-command-test-${process.pid}`;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "previewd-run-command-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(command: string, logs = new MemoryLogStore(), signal = new AbortController().signal) {
  return runCommand({
    command,
    cwd: dir,
    labels: { owner, envId: "env", role: "exec", name: "api" },
    output: new OutputCapture("env", dir, logs),
    logApp: "api",
    signal,
  });
}

describe("runCommand", () => {
  it("tells stdout from stderr and keeps a step's output in order when one stream follows the other", async () => {
    // The usual shape of a failing step: what it did on stdout, then why it failed on stderr. The
    // kernel reports the pipes readable in the order they were written, so this order is exact;
    // lines that alternate faster than previewd reads keep their order within each stream only.
    const expected = ["step 1", "step 2", "step 3", "failed: because", "see above"];
    for (let round = 0; round < 20; round++) {
      const logs = new MemoryLogStore();
      const result = await run(
        "echo step 1; echo step 2; echo step 3; echo failed: because >&2; echo see above >&2; exit 3",
        logs,
      );
      expect(result).toEqual({ exitCode: 3, tail: expected });
      const stored = logs.query("env", {});
      expect(stored.map((entry) => [entry.app, entry.stream, entry.line])).toEqual(
        expected.map((line, i) => ["api", i < 3 ? "stdout" : "stderr", line]),
      );
    }
  });

  it("keeps a last line without a newline, and leaves no process behind a backgrounded child", async () => {
    const result = await run("sleep 30 & printf 'no newline'");
    expect(result).toEqual({ exitCode: 0, tail: ["no newline"] });
    expect(await scanProcesses({ owner })).toEqual([]);
  });

  it("stops the group when aborted, even when aborted before the process was spawned", async () => {
    const logs = new MemoryLogStore();
    const controller = new AbortController();
    const running = run("echo started; sleep 30", logs, controller.signal);
    await eventually(() => expect(logs.query("env", {}).map((e) => e.line)).toEqual(["started"]));
    controller.abort();
    const result = await running;
    expect(result.tail).toEqual(["started"]);
    expect(result.exitCode).not.toBe(0);
    expect(await scanProcesses({ owner })).toEqual([]);

    const early = await run("sleep 30", undefined, AbortSignal.abort());
    expect(early.exitCode).not.toBe(0);
    expect(await scanProcesses({ owner })).toEqual([]);
  });
});
