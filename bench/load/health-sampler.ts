/**
 * Asks previewd's /healthz again and again (one at a time, every `everyMs`) and keeps each
 * answer's latency, so a stalled event loop shows up as a slow or missing answer.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { percentile } from "./latency-summary.ts";

export interface HealthSampler {
  /** Latencies so far, then starts a new set. */
  take(): { p50: number; p99: number; max: number; count: number; failures: number };
  stop(): Promise<void>;
}

export function sampleHealth(url: string, everyMs = 50): HealthSampler {
  let latencies: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = performance.now();
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
        async (response) => (await response.arrayBuffer(), response.ok),
        () => false,
      );
      if (ok) latencies.push(performance.now() - start);
      else failures++;
      await sleep(everyMs);
    }
  })();
  return {
    take() {
      const sorted = [...latencies].sort((a, b) => a - b);
      const result = {
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        max: sorted.at(-1) ?? NaN,
        count: sorted.length,
        failures,
      };
      latencies = [];
      failures = 0;
      return result;
    },
    async stop() {
      running = false;
      await loop;
    },
  };
}
