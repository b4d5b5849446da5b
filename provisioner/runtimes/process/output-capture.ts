/**
 * One environment's process output: each app or service writes to its own files under
 * `<dataDir>/logs/`, which are tailed into the LogStore. Files, not pipes, so a process outlives
 * previewd and its output can be picked up again after adoption. Steps, which never outlive
 * previewd, are piped instead (`line`), so their output keeps its order across both streams.
 */
import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { LogStore, LogStream } from "../../logs/log-store.ts";
import { createLogTailer, type LogTailer } from "./log-tailer.ts";

const streams = ["stdout", "stderr"] as const satisfies LogStream[];
const recentCapacity = 200;

export interface OutputFiles {
  stdout: number;
  stderr: number;
  /** Close previewd's copies once the child has them. */
  close(): Promise<void>;
}

interface Followed {
  tailers: LogTailer[];
  recent: string[];
}

export class OutputCapture {
  readonly #followed = new Map<string, Followed>();

  constructor(
    private readonly envId: string,
    private readonly dataDir: string,
    private logs: LogStore,
  ) {}

  /** Stores one line that previewd read itself (a step's piped output). */
  line(app: string, stream: LogStream, line: string): void {
    this.logs.append(this.envId, { app, stream, line });
  }

  /** Later lines go to this store (each operation brings its context). */
  useLogs(logs: LogStore): void {
    this.logs = logs;
  }

  file(name: string, stream: LogStream): string {
    return join(this.dataDir, "logs", `${name}.${stream}.log`);
  }

  /**
   * Opens `name`'s files for a new run (appending) and makes sure they are followed. Lines are
   * stored under `logApp`. `tail(name)` afterwards covers this run only.
   */
  async open(name: string, logApp: string): Promise<OutputFiles> {
    await mkdir(join(this.dataDir, "logs"), { recursive: true });
    const [out, err] = await Promise.all(streams.map((s) => open(this.file(name, s), "a")));
    if (!out || !err) throw new TypeError("unreachable");
    const followed = await this.follow(name, logApp, true);
    await Promise.all(followed.tailers.map((t) => t.flush()));
    followed.recent.length = 0;
    return {
      stdout: out.fd,
      stderr: err.fd,
      close: async () => {
        await Promise.all([out.close(), err.close()]);
      },
    };
  }

  /** Starts following `name`'s files unless already followed (adoption: `fromEnd`). */
  async follow(name: string, logApp: string, fromEnd: boolean): Promise<Followed> {
    const existing = this.#followed.get(name);
    if (existing) return existing;
    const followed: Followed = { tailers: [], recent: [] };
    this.#followed.set(name, followed);
    followed.tailers = await Promise.all(
      streams.map((stream) =>
        createLogTailer({
          file: this.file(name, stream),
          fromEnd,
          onLine: (line) => {
            followed.recent.push(line);
            if (followed.recent.length > recentCapacity) followed.recent.shift();
            this.logs.append(this.envId, { app: logApp, stream, line });
          },
        }),
      ),
    );
    return followed;
  }

  /** The last `lines` lines (both streams) of `name`'s current run. */
  async tail(name: string, lines = 30): Promise<string[]> {
    const followed = this.#followed.get(name);
    if (!followed) return [];
    await Promise.all(followed.tailers.map((t) => t.flush()));
    return followed.recent.slice(-lines);
  }

  /** Reads every followed file to its end. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.#followed.values()].flatMap((f) => f.tailers.map((t) => t.flush())));
  }

  async stop(name: string): Promise<void> {
    const followed = this.#followed.get(name);
    this.#followed.delete(name);
    await Promise.all(followed?.tailers.map((t) => t.stop()) ?? []);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#followed.keys()].map((name) => this.stop(name)));
  }
}
