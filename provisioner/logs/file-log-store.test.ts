import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { FileLogStore, type FileLogStoreOptions } from "./file-log-store.ts";
import type { LogEntry } from "./log-store.ts";

const dirs: string[] = [];
const stores: FileLogStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-logs-"));
  dirs.push(dir);
  return dir;
}

async function open(options: FileLogStoreOptions): Promise<FileLogStore> {
  const store = await FileLogStore.open(options);
  stores.push(store);
  return store;
}

const lines = (entries: LogEntry[]) => entries.map((e) => e.line);

describe("FileLogStore", () => {
  it("keeps environments apart and filters by app, stream, time, grep and tail", async () => {
    const store = await open({ dir: tempDir() });
    store.append("env-a", {
      app: "api",
      stream: "stdout",
      line: "listening",
      ts: "2030-01-01T00:00:00.000Z",
    });
    store.append("env-a", {
      app: "web",
      stream: "stderr",
      line: "warning: slow",
      ts: "2030-01-01T00:01:00.000Z",
    });
    store.append("env-a", { app: "db", stream: "stdout", line: "ready", ts: "2030-01-01T00:02:00.000Z" });
    store.append("env-b", { app: "api", stream: "stdout", line: "other env" });

    expect(lines(store.query("env-a"))).toEqual(["listening", "warning: slow", "ready"]);
    expect(lines(store.query("env-a", { apps: ["api", "db"] }))).toEqual(["listening", "ready"]);
    expect(lines(store.query("env-a", { streams: ["stderr"] }))).toEqual(["warning: slow"]);
    expect(lines(store.query("env-a", { since: new Date("2030-01-01T00:01:00Z") }))).toEqual([
      "warning: slow",
      "ready",
    ]);
    expect(lines(store.query("env-a", { until: new Date("2030-01-01T00:00:30Z") }))).toEqual(["listening"]);
    expect(lines(store.query("env-a", { grep: "slow" }))).toEqual(["warning: slow"]);
    expect(lines(store.query("env-a", { tail: 1 }))).toEqual(["ready"]);
    expect(lines(store.query("env-b"))).toEqual(["other env"]);
    expect(store.query("nobody")).toEqual([]);
  });

  it("gives every line a larger id than the one before", async () => {
    const store = await open({ dir: tempDir() });
    for (let i = 0; i < 100; i++) store.append("env-a", { app: "api", stream: "stdout", line: `${i}` });
    const ids = store.query("env-a").map((e) => e.id!);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
  });

  it("tells subscribers about each new line of their environment only", async () => {
    const store = await open({ dir: tempDir() });
    const seen: string[] = [];
    const unsubscribe = store.subscribe("env-a", (e) => seen.push(e.line));
    store.append("env-a", { app: "api", stream: "stdout", line: "one" });
    store.append("env-b", { app: "api", stream: "stdout", line: "elsewhere" });
    unsubscribe();
    store.append("env-a", { app: "api", stream: "stdout", line: "after" });
    expect(seen).toEqual(["one"]);
  });

  it("reloads the recent lines after a restart and continues their ids", async () => {
    const dir = tempDir();
    const first = await open({ dir, memoryLines: 50 });
    for (let i = 0; i < 120; i++) first.append("env-a", { app: "api", stream: "stdout", line: `line ${i}` });
    const lastId = first.query("env-a").at(-1)!.id!;
    await first.close();

    const second = await open({ dir, memoryLines: 50 });
    const reloaded = second.query("env-a");
    expect(reloaded).toHaveLength(50);
    expect(reloaded.at(-1)).toMatchObject({ line: "line 119", app: "api", stream: "stdout", id: lastId });
    second.append("env-a", { app: "api", stream: "stdout", line: "after restart" });
    expect(second.query("env-a").at(-1)!.id).toBeGreaterThan(lastId);
  });

  it("skips a line cut short by a crash and starts the next one on a fresh line", async () => {
    const dir = tempDir();
    const first = await open({ dir });
    first.append("env-a", { app: "api", stream: "stdout", line: "whole" });
    await first.close();
    appendFileSync(path.join(dir, "env-a", "log.ndjson"), '{"id":1,"ts":"20');

    const second = await open({ dir });
    expect(lines(second.query("env-a"))).toEqual(["whole"]);
    second.append("env-a", { app: "api", stream: "stdout", line: "next" });
    await second.close();
    const third = await open({ dir });
    expect(lines(third.query("env-a"))).toEqual(["whole", "next"]);
  });

  it("rotates files so an environment's logs stay under the size cap", async () => {
    const dir = tempDir();
    const store = await open({ dir, maxFileBytes: 10_000, maxRotatedFiles: 2, flushBytes: 1000 });
    for (let i = 0; i < 2000; i++) store.append("env-a", { app: "api", stream: "stdout", line: `line ${i}` });
    store.flush();
    const files = readdirSync(path.join(dir, "env-a")).sort();
    expect(files).toEqual(["log.1.ndjson", "log.2.ndjson", "log.ndjson"]);
    const total = files.reduce((sum, f) => sum + statSync(path.join(dir, "env-a", f)).size, 0);
    expect(total).toBeLessThanOrEqual(3 * 10_000 + 1000);
  });

  it("bounds memory by lines and by bytes, and cuts runaway lines", async () => {
    const store = await open({ dir: tempDir(), memoryLines: 100, memoryBytes: 20_000, maxLineLength: 1000 });
    for (let i = 0; i < 1000; i++) store.append("env-a", { app: "api", stream: "stdout", line: `${i}` });
    expect(store.query("env-a")).toHaveLength(100);
    for (let i = 0; i < 100; i++)
      store.append("env-a", { app: "api", stream: "stdout", line: "x".repeat(5000) });
    expect(store.memoryBytes()).toBeLessThanOrEqual(20_000);
    expect(store.query("env-a").at(-1)!.line).toMatch(/^x{1000}… \[4000 characters cut\]$/);
  });

  it("remove() forgets an environment and deletes its files", async () => {
    const dir = tempDir();
    const store = await open({ dir });
    store.append("env-a", { app: "api", stream: "stdout", line: "bye" });
    store.flush();
    expect(existsSync(path.join(dir, "env-a"))).toBe(true);
    await store.remove("env-a");
    expect(store.query("env-a")).toEqual([]);
    expect(existsSync(path.join(dir, "env-a"))).toBe(false);
  });

  it("keeps memory bounded while 1,000,000 lines are written (measured after GC)", () => {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), "write-many-lines.test-helper.ts");
    const dir = tempDir();
    const child = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", script, dir, "1000000"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as {
      heapBefore: number;
      heapAfter: number;
      retainedLines: number;
      storeBytes: number;
      diskBytes: number;
    };
    expect(result.retainedLines).toBe(20_000);
    // The store keeps 20 000 short lines (a few MiB); a leak of 1M lines would be hundreds of MiB.
    expect(result.heapAfter - result.heapBefore).toBeLessThan(48 * 1024 * 1024);
    expect(result.diskBytes).toBeLessThanOrEqual(3 * 8 * 1024 * 1024 + 256 * 1024);
  });
});
