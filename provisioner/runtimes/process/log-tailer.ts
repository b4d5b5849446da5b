/**
 * Follows a growing log file and hands over complete lines. fs.watch gives low latency; a poll
 * covers what it misses (some filesystems, rotated files, events coalesced away): every 200 ms
 * while the file is not watched, every 2 s once it is. A poll is one stat; the file is opened
 * only when it has grown or shrunk (8 idle tailers used 5% of a core opening every log 5 times
 * a second).
 */
import { watch, type FSWatcher } from "node:fs";
import { open, stat } from "node:fs/promises";

export interface LogTailer {
  /** Reads everything written so far and delivers the complete lines. */
  flush(): Promise<void>;
  /** Flushes, delivers a trailing partial line, and stops following. */
  stop(): Promise<void>;
}

export interface LogTailerOptions {
  file: string;
  /** Start at the file's current end (adoption, restarts) instead of its beginning. */
  fromEnd: boolean;
  onLine(line: string): void;
  pollMs?: number;
  /** The poll's period while fs.watch follows the file. */
  watchedPollMs?: number;
}

const maxChunk = 1 << 20;

export async function createLogTailer(options: LogTailerOptions): Promise<LogTailer> {
  let position = options.fromEnd
    ? await stat(options.file).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  let partial = "";
  let stopped = false;
  let reading: Promise<void> = Promise.resolve();
  const decoder = new TextDecoder();

  const deliver = (text: string): void => {
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) options.onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  };

  const readNew = async (): Promise<void> => {
    watchFile();
    const size = await stat(options.file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined || size === position) return; // Not created yet, or nothing new.
    let handle;
    try {
      handle = await open(options.file, "r");
    } catch {
      return; // Not created yet.
    }
    try {
      const { size } = await handle.stat();
      if (size < position) position = 0; // Truncated: start over.
      const buffer = Buffer.alloc(Math.min(maxChunk, Math.max(0, size - position)));
      while (position < size) {
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(buffer.length, size - position),
          position,
        );
        if (bytesRead === 0) break;
        position += bytesRead;
        deliver(decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
      }
    } finally {
      await handle.close();
    }
  };

  // Reads are serialized so lines keep their order.
  const schedule = (): Promise<void> => (reading = reading.then(readNew, readNew));

  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const poll = (ms: number) => {
    clearInterval(timer);
    timer = setInterval(() => void schedule(), ms);
    timer.unref();
  };
  /** Watches the file once it exists (the poll alone until then, or where watching fails). */
  function watchFile(): void {
    if (watcher || stopped) return;
    try {
      watcher = watch(options.file, { persistent: false }, () => void schedule());
    } catch {
      return;
    }
    watcher.on("error", () => {
      watcher?.close();
      watcher = undefined;
      if (!stopped) poll(options.pollMs ?? 200);
    });
    poll(options.watchedPollMs ?? 2_000);
  }
  poll(options.pollMs ?? 200);
  watchFile();
  void schedule();

  return {
    flush: () => schedule(),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      watcher?.close();
      await schedule();
      if (partial) {
        const rest = partial;
        partial = "";
        options.onLine(rest);
      }
    },
  };
}
