/**
 * Streams each container's stdout and stderr (demultiplexed) into the environment's LogStore, and
 * remembers, per container, the timestamp of the last line in `<dataDir>/docker-logs.json`, so a
 * restarted previewd resumes with `since` and misses nothing written while it was down.
 */
import { writeFileAtomic } from "../../atomic-file.ts";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { LogStore, LogStream } from "../../logs/log-store.ts";

const recentCapacity = 200;

interface Followed {
  stream?: NodeJS.ReadableStream;
  recent: string[];
}

/** `2024-05-01T10:00:00.123456789Z` → the Docker `since` value one nanosecond later. */
export function sinceAfter(ts: string): string | undefined {
  const match = /^(.*?)(?:\.(\d+))?Z$/.exec(ts);
  if (!match?.[1]) return undefined;
  const seconds = Math.floor(Date.parse(`${match[1]}Z`) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  const nanos = Number((match[2] ?? "").padEnd(9, "0").slice(0, 9)) + 1;
  return nanos >= 1e9 ? `${seconds + 1}.000000000` : `${seconds}.${String(nanos).padStart(9, "0")}`;
}

export class ContainerLogs {
  readonly #followed = new Map<string, Followed>();
  readonly #cursorFile: string;
  #cursors: Record<string, string> | undefined;
  #saveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly envId: string,
    dataDir: string,
    private logs: LogStore,
  ) {
    this.#cursorFile = join(dataDir, "docker-logs.json");
  }

  useLogs(logs: LogStore): void {
    this.logs = logs;
  }

  /** A line previewd itself produced for `name` (build output); also kept for the tail. */
  line(name: string, stream: LogStream, line: string): void {
    this.#recent(name).push(line);
    this.#trim(name);
    this.logs.append(this.envId, { app: name, stream, line });
  }

  /**
   * Follows a container's output under `name`. `resume` starts after the last line seen before
   * (adoption); otherwise from the container's start.
   */
  async follow(name: string, containerId: string, resume: boolean): Promise<void> {
    await this.stop(name, false);
    const followed: Followed = { recent: this.#followed.get(name)?.recent ?? [] };
    this.#followed.set(name, followed);
    const cursors = await this.#loadCursors();
    // The cursor file may lag by its save interval; the store knows its own last line too.
    const stored = this.logs.query(this.envId, { apps: [name], streams: ["stdout", "stderr"], tail: 1 })[0]
      ?.ts;
    const last = [cursors[name], stored]
      .filter((t): t is string => Boolean(t))
      .sort((a, b) => Date.parse(b) - Date.parse(a))[0];
    // Neither knows a line of it (previewd died before either was written): everything the
    // container wrote is new to the store, so read it from the start rather than from now.
    const since = resume && last ? sinceAfter(last) : undefined;
    const stream = (await this.docker.getContainer(containerId).logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      ...(since && { since: since as unknown as number }),
    })) as NodeJS.ReadableStream;
    if (this.#followed.get(name) !== followed) {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      return;
    }
    followed.stream = stream;
    const out = new PassThrough();
    const err = new PassThrough();
    this.docker.modem.demuxStream(stream, out, err);
    this.#lines(out, (line) => this.#append(name, "stdout", line));
    this.#lines(err, (line) => this.#append(name, "stderr", line));
    stream.on("error", () => undefined);
    stream.on("end", () => {
      out.end();
      err.end();
    });
  }

  tail(name: string, lines = 30): string[] {
    return (this.#followed.get(name)?.recent ?? []).slice(-lines);
  }

  /** Stops following `name`; `forget` also drops its recent lines. */
  async stop(name: string, forget = true): Promise<void> {
    const followed = this.#followed.get(name);
    if (!followed) return;
    (followed.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    followed.stream = undefined;
    if (forget) this.#followed.delete(name);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#followed.keys()].map((name) => this.stop(name)));
    await this.#saveCursors();
  }

  /** Stops everything and writes nothing more: the environment is being removed. */
  async discard(): Promise<void> {
    this.#cursors = undefined;
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    await Promise.all([...this.#followed.keys()].map((name) => this.stop(name)));
  }

  #recent(name: string): string[] {
    let followed = this.#followed.get(name);
    if (!followed) {
      followed = { recent: [] };
      this.#followed.set(name, followed);
    }
    return followed.recent;
  }

  #trim(name: string): void {
    const recent = this.#recent(name);
    while (recent.length > recentCapacity) recent.shift();
  }

  #append(name: string, stream: LogStream, raw: string): void {
    // With `timestamps`, Docker prefixes each line with its RFC 3339 time and a space.
    const space = raw.indexOf(" ");
    const ts = space > 0 ? raw.slice(0, space) : "";
    const valid = ts !== "" && !Number.isNaN(Date.parse(ts));
    const line = valid ? raw.slice(space + 1) : raw;
    this.#recent(name).push(line);
    this.#trim(name);
    this.logs.append(this.envId, {
      app: name,
      stream,
      line,
      ...(valid && { ts: new Date(ts).toISOString() }),
    });
    if (valid && this.#cursors) {
      this.#cursors[name] = ts;
      this.#scheduleSave();
    }
  }

  #lines(stream: PassThrough, onLine: (line: string) => void): void {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffer += chunk;
      let index: number;
      while ((index = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, index).replace(/\r$/, ""));
        buffer = buffer.slice(index + 1);
      }
    });
    stream.on("end", () => {
      if (buffer) onLine(buffer);
    });
  }

  async #loadCursors(): Promise<Record<string, string>> {
    if (!this.#cursors) {
      this.#cursors = await readFile(this.#cursorFile, "utf8")
        .then((text) => JSON.parse(text) as Record<string, string>)
        .catch(() => ({}));
    }
    return this.#cursors;
  }

  #scheduleSave(): void {
    if (this.#saveTimer) return;
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined;
      void this.#saveCursors().catch(() => undefined);
    }, 500);
    this.#saveTimer.unref();
  }

  async #saveCursors(): Promise<void> {
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    if (!this.#cursors) return;
    await mkdir(dirname(this.#cursorFile), { recursive: true });
    await writeFileAtomic(this.#cursorFile, JSON.stringify(this.#cursors));
  }
}
