/**
 * Waits until an app answers its health path with 2xx/3xx. Gives up at the deadline, on abort,
 * or as soon as the process exits (no point waiting for a dead app).
 */
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
  /** The process's exit code if it has exited. */
  exitCode(): number | undefined;
  intervalMs?: number;
}

async function probe(url: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const response = await fetch(url, {
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

export async function waitHealthy(options: HealthCheckOptions): Promise<HealthResult> {
  const url = `http://127.0.0.1:${options.port}${options.path}`;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.signal.aborted) return { ok: false, reason: "aborted" };
    const exitCode = options.exitCode();
    if (exitCode !== undefined) return { ok: false, reason: "exited", exitCode };
    const error = await probe(url, options.signal);
    if (error === undefined) return { ok: true };
    if (Date.now() >= deadline) return { ok: false, reason: "timeout", lastError: error };
    await sleep(options.intervalMs ?? 100);
  }
}
