import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogTailer, type LogTailer } from "./log-tailer.ts";

let dir: string;
let tailer: LogTailer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "log-tailer-"));
});

afterEach(async () => {
  await tailer?.stop();
  tailer = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function eventually(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("createLogTailer", () => {
  it("follows appended lines, holding partial lines until they end", async () => {
    const file = join(dir, "app.log");
    await writeFile(file, "one\ntw");
    const lines: string[] = [];
    tailer = await createLogTailer({ file, fromEnd: false, onLine: (l) => lines.push(l) });
    await eventually(() => lines.length === 1);
    expect(lines).toEqual(["one"]);
    await appendFile(file, "o\r\nthree\n");
    await eventually(() => lines.length === 3);
    expect(lines).toEqual(["one", "two", "three"]);
    await appendFile(file, "unterminated");
    await tailer.stop();
    expect(lines).toEqual(["one", "two", "three", "unterminated"]);
  });

  it("starts at the end when adopting, and starts over after truncation", async () => {
    const file = join(dir, "app.log");
    await writeFile(file, "old line\n");
    const lines: string[] = [];
    tailer = await createLogTailer({ file, fromEnd: true, onLine: (l) => lines.push(l) });
    await appendFile(file, "new line\n");
    await tailer.flush();
    expect(lines).toEqual(["new line"]);
    await writeFile(file, "after truncate\n");
    await tailer.flush();
    expect(lines).toEqual(["new line", "after truncate"]);
  });

  it("waits for a file that does not exist yet", async () => {
    const file = join(dir, "later.log");
    const lines: string[] = [];
    tailer = await createLogTailer({ file, fromEnd: true, onLine: (l) => lines.push(l) });
    await writeFile(file, "hello\n");
    await eventually(() => lines.length === 1);
    expect(lines).toEqual(["hello"]);
  });

  it("watches a file once it exists: appended lines arrive without waiting for the poll", async () => {
    const file = join(dir, "later.log");
    const lines: string[] = [];
    tailer = await createLogTailer({
      file,
      fromEnd: false,
      onLine: (l) => lines.push(l),
      pollMs: 50,
      watchedPollMs: 60_000,
    });
    await writeFile(file, "first\n");
    await eventually(() => lines.length === 1);
    for (const n of [2, 3]) {
      await appendFile(file, `line ${n}\n`);
      await eventually(() => lines.length === n);
    }
    expect(lines).toEqual(["first", "line 2", "line 3"]);
  });
});
