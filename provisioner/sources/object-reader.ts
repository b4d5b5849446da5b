/**
 * Objects of a repository read through one `git cat-file --batch` per git dir, kept while it is in
 * use: resolving a create looks up the ref, then reads the commit's trees, its links, the manifest
 * and the scenario files one after another, and a git process each cost ~15 ms (much more under
 * load) plus 6–20 ms of previewd's event loop to spawn. A kept process gives the answers a new one
 * would: git reads a ref from disk at every lookup, and looks for an object it does not know anew
 * (a new commit, a fetched pack) before it answers "missing".
 */
import type { Socket } from "node:net";
import { SourceError } from "../errors.ts";
import { GitError, redactCredentials, spawnGit } from "./git.ts";

export interface GitObject {
  oid: string;
  type: string;
  data: Buffer;
}

export interface ObjectReader {
  /** The object `name` names, or undefined when there is none. `name` must be one line. */
  read(name: string, signal?: AbortSignal): Promise<GitObject | undefined>;
}

/**
 * How long an unused reader's process stays for the next call: long enough for an agent's next
 * redeploy, since spawning it blocks previewd's event loop (38–47 ms each at load ~8).
 */
const IDLE_MS = 30_000;

const readers = new Map<string, BatchReader>();

/** The shared reader of `gitDir` (an absolute path to a git dir). */
export function objectReader(gitDir: string): ObjectReader {
  let reader = readers.get(gitDir);
  if (!reader || reader.closed) readers.set(gitDir, (reader = new BatchReader(gitDir)));
  return reader;
}

/** Ends every reader's process (tests and shutdown; an idle one also ends by itself). */
export async function closeObjectReaders(): Promise<void> {
  const open = [...readers.values()];
  readers.clear();
  await Promise.all(open.map((r) => r.close()));
}

interface Request {
  name: string;
  resolve(object: GitObject | undefined): void;
  reject(error: Error): void;
}

const header = /^([0-9a-f]{40}|[0-9a-f]{64}) ([a-z]+) (\d+)$/;

class BatchReader implements ObjectReader {
  closed = false;
  readonly #gitDir: string;
  readonly #child: ReturnType<typeof spawnGit>;
  readonly #pending: Request[] = [];
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The header of the object whose content is still arriving. */
  #current: { oid: string; type: string; size: number } | undefined;
  #stderr = "";
  #idle: NodeJS.Timeout | undefined;
  readonly #exited: Promise<void>;

  constructor(gitDir: string) {
    this.#gitDir = gitDir;
    // git sees packed-refs rewritten by its stat data; "minimal" (a repository's own config may say
    // so) leaves out the inode, and a rewrite of the same size in the same second would go unseen.
    const stat = ["-c", "core.checkStat=default"];
    this.#child = spawnGit([...stat, `--git-dir=${gitDir}`, "cat-file", "--batch"]);
    this.#exited = new Promise((resolve) => this.#child.once("close", () => resolve()));
    this.#child.stdout.on("data", (chunk: Buffer) => this.#receive(chunk));
    this.#child.stderr.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-2000);
    });
    // EPIPE when git has exited is reported through "close".
    this.#child.stdin.on("error", () => {});
    this.#child.on("error", (error: NodeJS.ErrnoException) =>
      this.#fail(
        error.code === "ENOENT"
          ? new SourceError("git is not installed", { cause: error })
          : new SourceError(`git cat-file could not start: ${error.message}`, { cause: error }),
      ),
    );
    this.#child.on("close", (code, signal) => {
      const detail = redactCredentials(this.#stderr.trim()) || `exit ${code ?? signal}`;
      this.#fail(new GitError(`git cat-file failed: ${detail}`, code, this.#stderr));
    });
    this.#setRef(false);
  }

  read(name: string, signal?: AbortSignal): Promise<GitObject | undefined> {
    if (/[\n\r]/.test(name))
      return Promise.reject(new SourceError(`object name ${JSON.stringify(name)} spans lines`));
    if (this.closed) return objectReader(this.#gitDir).read(name, signal);
    if (signal?.aborted) return Promise.reject(aborted(signal));
    clearTimeout(this.#idle);
    this.#setRef(true);
    return new Promise((resolve, reject) => {
      // An aborted caller stops waiting; its answer is still read off the pipe, then dropped.
      const onAbort = () => reject(aborted(signal));
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.#pending.push({
        name,
        resolve: (object) => (done(), resolve(object)),
        reject: (error) => (done(), reject(error)),
      });
      this.#child.stdin.write(`${name}\n`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.#idle);
    // Whoever waits for the exit keeps previewd running until then.
    this.#setRef(true);
    this.#child.stdin.end();
    await this.#exited;
  }

  #receive(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (!this.#current) {
        const buffer = this.#take();
        const newline = buffer.indexOf(10);
        if (newline === -1) return;
        const line = buffer.subarray(0, newline).toString("utf8");
        this.#keep(buffer.subarray(newline + 1));
        const match = header.exec(line);
        if (match) {
          this.#current = { oid: match[1]!, type: match[2]!, size: Number(match[3]) };
          continue;
        }
        // "<name> missing" (or "ambiguous", for an abbreviated id).
        if (this.#pending.length > 0 && / (missing|ambiguous)$/.test(line)) {
          this.#pending.shift()?.resolve(undefined);
          this.#settled();
          continue;
        }
        this.#fail(new SourceError(`git cat-file answered ${JSON.stringify(line.slice(0, 200))}`));
        this.#child.kill();
        return;
      }
      // The content, then a newline.
      if (this.#buffered < this.#current.size + 1) return;
      const buffer = this.#take();
      const { oid, type, size } = this.#current;
      this.#current = undefined;
      this.#keep(buffer.subarray(size + 1));
      this.#pending.shift()?.resolve({ oid, type, data: Buffer.from(buffer.subarray(0, size)) });
      this.#settled();
    }
  }

  /** Everything received so far, as one buffer. */
  #take(): Buffer {
    const buffer = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [buffer];
    return buffer;
  }

  #keep(rest: Buffer): void {
    this.#chunks = rest.length ? [rest] : [];
    this.#buffered = rest.length;
  }

  /** With nothing asked, the process does not keep previewd running, and ends after a while. */
  #settled(): void {
    if (this.#pending.length > 0) return;
    this.#setRef(false);
    this.#idle = setTimeout(() => {
      if (readers.get(this.#gitDir) === this) readers.delete(this.#gitDir);
      void this.close();
    }, IDLE_MS);
    this.#idle.unref();
  }

  #setRef(on: boolean): void {
    for (const handle of [this.#child, this.#child.stdin, this.#child.stdout, this.#child.stderr]) {
      const h = handle as Partial<Socket>;
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  #fail(error: Error): void {
    this.closed = true;
    clearTimeout(this.#idle);
    if (readers.get(this.#gitDir) === this) readers.delete(this.#gitDir);
    for (const request of this.#pending.splice(0)) request.reject(error);
  }
}

function aborted(signal: AbortSignal | undefined): SourceError {
  return new SourceError("git cat-file was aborted", { cause: signal?.reason });
}
