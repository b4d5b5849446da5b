/**
 * previewd's own event-loop delay, from its /metrics (prom-client's default metrics: a
 * monitorEventLoopDelay histogram, 10 ms resolution, reset at every scrape). A loop blocked by
 * previewd's own work shows here; a process merely starved of CPU shows in its run-queue wait
 * (process-clock.ts) instead.
 */
export interface LoopDelay {
  p99Ms: number;
  maxMs: number;
}

/** Reads the delay since the previous call (the first call only starts the window). */
export async function scrapeLoopDelay(previewdUrl: string): Promise<LoopDelay> {
  const text = await (await fetch(`${previewdUrl}/metrics`)).text();
  const gauge = (name: string) => {
    const line = text.split("\n").find((candidate) => candidate.startsWith(`${name} `));
    return line === undefined ? NaN : Number(line.slice(name.length + 1)) * 1000;
  };
  return {
    p99Ms: gauge("previewd_nodejs_eventloop_lag_p99_seconds"),
    maxMs: gauge("previewd_nodejs_eventloop_lag_max_seconds"),
  };
}
