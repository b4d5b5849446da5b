/**
 * Appends one environment's log lines to `log.ndjson` in its folder, rotating to `log.1.ndjson`,
 * `log.2.ndjson`… once the file passes `maxFileBytes`, keeping `maxRotatedFiles` old files.
 *
 * Writes are synchronous but batched: callers of `LogStore.append` cannot wait for a disk, so the
 * store buffers and calls `flush` from a timer (or when the buffer is large). A synchronous batch
 * keeps lines in order and memory bounded with no backpressure to manage.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";

export interface LogFileLimits {
  maxFileBytes: number;
  maxRotatedFiles: number;
}

export const currentLogFile = "log.ndjson";

export function rotatedLogFile(n: number): string {
  return `log.${n}.ndjson`;
}

export class LogFileWriter {
  #pending: string[] = [];
  #pendingBytes = 0;
  #fd: number | undefined;
  #size = 0;

  constructor(
    readonly dir: string,
    private readonly limits: LogFileLimits,
  ) {}

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  write(text: string): void {
    this.#pending.push(text);
    this.#pendingBytes += text.length;
  }

  flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending.join("");
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#fd === undefined) this.#open();
    if (this.#size > 0 && this.#size + batch.length > this.limits.maxFileBytes) this.#rotate();
    const buffer = Buffer.from(batch);
    writeSync(this.#fd!, buffer);
    this.#size += buffer.length;
  }

  close(): void {
    this.flush();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  /** Forget buffered lines and delete every file. */
  remove(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }

  #open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.#fd = openSync(path.join(this.dir, currentLogFile), "a+");
    this.#size = fstatSync(this.#fd).size;
    // A crash can leave half a line; start on a fresh one so the next line parses.
    if (this.#size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.#fd, last, 0, 1, this.#size - 1);
      if (last[0] !== 0x0a) this.#size += writeSync(this.#fd, "\n");
    }
  }

  #rotate(): void {
    closeSync(this.#fd!);
    const file = (n: number) => path.join(this.dir, n === 0 ? currentLogFile : rotatedLogFile(n));
    rmSync(file(this.limits.maxRotatedFiles), { force: true });
    for (let n = this.limits.maxRotatedFiles - 1; n >= 0; n--) {
      if (existsSync(file(n))) renameSync(file(n), file(n + 1));
    }
    if (this.limits.maxRotatedFiles === 0) rmSync(file(0), { force: true });
    this.#fd = openSync(file(0), "a+");
    this.#size = 0;
  }
}
