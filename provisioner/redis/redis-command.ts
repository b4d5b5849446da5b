/**
 * One command to a Redis server and its one reply, over RESP on a fresh connection: all previewd
 * says to Redis is PING (is it ready?) and FLUSHALL (a scenario reset), so no client library.
 */
import net from "node:net";

export interface RedisCommandOptions {
  /** Default 2 s for connecting and answering. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** `*2\r\n$4\r\nPING\r\n…`: a command is an array of bulk strings. */
function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** The reply once `buffer` holds all of it; undefined while more is to come. Error replies throw. */
function decode(buffer: Buffer): string | undefined {
  const end = buffer.indexOf("\r\n");
  if (end < 0) return undefined;
  const kind = String.fromCharCode(buffer[0] ?? 0);
  const line = buffer.subarray(1, end).toString("utf8");
  if (kind === "+" || kind === ":") return line;
  if (kind === "-") throw new Error(line);
  if (kind === "$") {
    const length = Number(line);
    if (length < 0) return "";
    const body = buffer.subarray(end + 2);
    return body.length >= length + 2 ? body.subarray(0, length).toString("utf8") : undefined;
  }
  throw new Error(`unexpected reply ${JSON.stringify(buffer.subarray(0, 40).toString("utf8"))}`);
}

/** Sends `args` to the server at `url` (`redis://host:port`); resolves with its reply as text. */
export function redisCommand(url: string, args: readonly string[], options: RedisCommandOptions = {}) {
  const { hostname, port } = new URL(url);
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: hostname.replace(/^\[(.*)\]$/, "$1"), port: Number(port) || 6379 });
    let received = Buffer.alloc(0);
    const finish = (error: Error | undefined, reply?: string) => {
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? "");
    };
    const onAbort = () => finish(new Error("aborted"));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    socket.setTimeout(options.timeoutMs ?? 2_000, () => finish(new Error("no answer in time")));
    socket.once("error", (error) => finish(error));
    socket.once("close", () => finish(new Error("the connection closed before a reply")));
    socket.once("connect", () => socket.write(encode(args)));
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      try {
        const reply = decode(received);
        if (reply !== undefined) finish(undefined, reply);
      } catch (error) {
        finish(error as Error);
      }
    });
  });
}
