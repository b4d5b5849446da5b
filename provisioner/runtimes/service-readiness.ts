/**
 * When a backing service other than Postgres is ready, on any runtime: Redis answers PING, a
 * `command` service answers its health path (2xx/3xx) or, without one, accepts TCP connections.
 * `waitReady` polls a probe until it passes, the service exits, the deadline passes or the
 * caller aborts.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { redisCommand } from "../redis/redis-command.ts";
import { checkHealth } from "./health-check.ts";

/** One look: undefined when ready, else why not. */
export type ReadinessProbe = (signal: AbortSignal) => Promise<string | undefined>;

export function redisAnswers(port: number, host = "127.0.0.1"): ReadinessProbe {
  return async (signal) => {
    try {
      const reply = await redisCommand(`redis://${host}:${port}`, ["PING"], { signal });
      return reply === "PONG" ? undefined : `answered ${reply}`;
    } catch (error) {
      // `-LOADING`: still reading its append-only file back.
      return error instanceof Error ? error.message : String(error);
    }
  };
}

/**
 * Connects and hangs up politely: reads what the server says (a mail catcher's greeting) and
 * closes its side, since a close with unread data resets the connection, which some servers
 * take badly.
 */
export function acceptsTcp(port: number, host = "127.0.0.1"): ReadinessProbe {
  return (signal) =>
    new Promise((resolve) => {
      const socket = net.connect({ host, port, signal });
      socket.setTimeout(2_000, () => {
        socket.destroy();
        resolve("no answer in time");
      });
      socket.once("connect", () => {
        resolve(undefined);
        socket.resume().end();
      });
      socket.once("close", () => socket.setTimeout(0));
      socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
}

/** Its health path on 127.0.0.1 when it has one, else "accepts TCP on its port". */
export function commandServiceProbe(port: number, health: string | undefined): ReadinessProbe {
  return health === undefined ? acceptsTcp(port) : (signal) => checkHealth(port, health, signal);
}

export interface WaitReadyOptions {
  probe: ReadinessProbe;
  /** Its exit code once it exited, else undefined. */
  exitCode(): number | undefined | Promise<number | undefined>;
  timeoutMs: number;
  signal: AbortSignal;
  intervalMs?: number;
}

/** Undefined once ready; else why it never was (`exited with code 1`, `was aborted`, …). */
export async function waitReady(options: WaitReadyOptions): Promise<string | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const exitCode = await options.exitCode();
    if (exitCode !== undefined) return `exited with code ${exitCode}`;
    if (options.signal.aborted) return "was aborted";
    const problem = await options.probe(options.signal);
    if (problem === undefined) return undefined;
    if (Date.now() >= deadline) return `was not ready within ${options.timeoutMs} ms (${problem})`;
    await sleep(options.intervalMs ?? 100);
  }
}
