/** Reads the newest lines an environment's log folder holds back, after a restart of previewd. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { LogStream } from "./log-store.ts";
import type { StoredLogEntry } from "./log-ring.ts";
import { currentLogFile, rotatedLogFile } from "./log-file-writer.ts";

const streams = new Set<LogStream>(["stdout", "stderr", "system", "browser"]);

/** Up to `maxLines` of the newest valid lines, oldest first; damaged lines are skipped. */
export async function readLogTail(
  dir: string,
  maxRotatedFiles: number,
  maxLines: number,
): Promise<StoredLogEntry[]> {
  const files = [currentLogFile];
  for (let n = 1; n <= maxRotatedFiles; n++) files.push(rotatedLogFile(n));
  const newestFirst: StoredLogEntry[] = [];
  for (const file of files) {
    const text = await readFile(path.join(dir, file), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const lines = text.split("\n");
    for (let i = lines.length - 1; i >= 0 && newestFirst.length < maxLines; i--) {
      const entry = parseLine(lines[i]!);
      if (entry) newestFirst.push(entry);
    }
    if (newestFirst.length >= maxLines) break;
  }
  return newestFirst.reverse();
}

function parseLine(text: string): StoredLogEntry | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StoredLogEntry>;
    if (
      typeof value.id === "number" &&
      typeof value.ts === "string" &&
      typeof value.app === "string" &&
      typeof value.line === "string" &&
      streams.has(value.stream as LogStream)
    ) {
      return { ts: value.ts, app: value.app, stream: value.stream!, line: value.line, id: value.id };
    }
  } catch {
    // a line cut short by a crash
  }
  return undefined;
}
