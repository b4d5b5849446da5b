/**
 * Waits until an app answers its health path on 127.0.0.1 with 2xx/3xx. Gives up at the deadline,
 * on abort, or as soon as the app's process or container exits (no point waiting for a dead app).
 */
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export type HealthResult =
  | { ok: true }
  | { ok: false; reason: "exited"; exitCode: number }
  | { ok: false; reason: "timeout"; lastError: string }
  | { ok: false; reason: "aborted" };

export interface HealthCheckOptions {
  port: number;
  path: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** The app's exit code if it has exited (a container's may take asking the engine). */
  exitCode(): number | undefined | Promise<number | undefined>;
  /** Between probes; default probeInterval's. */
  intervalMs?: number;
}

/**
 * How long to wait before the next probe, `elapsedMs` into the wait, after `answered` HTTP probes
 * that got a bad answer. While nothing listens: 10 ms for the first 5 s, as a developer's loop by
 * hand would (a try of a closed port is a bare connect, see `connectError`, a few µs), so a server
 * that comes up is noticed within ~10 ms (a new branch and a redeploy wait for exactly this);
 * then 100 ms, so an app that takes a minute is not probed 6,000 times. An app that listens but
 * answers badly is asked over HTTP (~1 ms of previewd's time each) 10 ms apart at first, growing
 * by half each time to 100 ms.
 */
export function probeInterval(elapsedMs: number, answered: number): number {
  if (answered > 0) return Math.min(100, Math.round(10 * 1.5 ** (answered - 1)));
  return elapsedMs < 5_000 ? 10 : 100;
}

/**
 * Why nothing accepts connections on 127.0.0.1:`port`, or undefined when something does (the
 * connection is closed at once): while an app boots nothing does, and this says so for a few µs
 * of previewd's time, where an HTTP probe (undici's request machinery) costs about a
 * millisecond, every 10 ms of each app's start. Bounded like a probe: 2 s, or `signal`.
 */
function connectError(port: number, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
    });
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * `connection: close`: a probe leaves no keep-alive connection behind. A pooled one held the old
 * process of a redeploy (supervision probes it every second) until the pool's ~3 s idle timeout,
 * and the redeploy's drain waited for it.
 */
async function probe(url: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
      headers: { connection: "close" },
      redirect: "manual",
      signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]),
    });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 400 ? undefined : `answered ${response.status}`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    return cause?.code ?? (error instanceof Error ? error.message : String(error));
  }
}

/** One health check of `path` on 127.0.0.1: undefined when it answers 2xx/3xx, else why not. */
export function checkHealth(port: number, path: string, signal: AbortSignal): Promise<string | undefined> {
  return probe(`http://127.0.0.1:${port}${path}`, signal);
}

export async function waitHealthy(options: HealthCheckOptions): Promise<HealthResult> {
  const url = `http://127.0.0.1:${options.port}${options.path}`;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  for (let answered = 0; ;) {
    if (options.signal.aborted) return { ok: false, reason: "aborted" };
    const exitCode = await options.exitCode();
    if (exitCode !== undefined) return { ok: false, reason: "exited", exitCode };
    let error = await connectError(options.port, options.signal);
    if (error === undefined) {
      error = await probe(url, options.signal);
      if (error === undefined) return { ok: true };
      answered += 1;
    }
    if (Date.now() >= deadline) return { ok: false, reason: "timeout", lastError: error };
    await sleep(options.intervalMs ?? probeInterval(Date.now() - started, answered));
  }
}

/** Why an app did not become healthy: the message of its ProvisionError. */
export function unhealthyMessage(
  app: string,
  path: string,
  timeoutMs: number,
  result: Exclude<HealthResult, { ok: true }>,
): string {
  if (result.reason === "exited") return `${app} exited with code ${result.exitCode} before becoming healthy`;
  if (result.reason === "timeout")
    return `${app} was not healthy at ${path} within ${timeoutMs} ms (${result.lastError})`;
  return `${app}: aborted while waiting for health`;
}
