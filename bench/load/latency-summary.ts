/** Throughput and latency percentiles from one load run, in the same shape for HTTP and WebSocket. */
export interface LoadSummary {
  /** Completed requests (or echoed messages) per second. */
  perSecond: number;
  p50: number;
  p99: number;
  /** Answers that were not the expected one (status, body), and transport errors. */
  errors: number;
}

export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

export function summarize(latenciesMs: number[], seconds: number, errors: number): LoadSummary {
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    perSecond: latenciesMs.length / seconds,
    p50: percentile(Array.from(sorted), 0.5),
    p99: percentile(Array.from(sorted), 0.99),
    errors,
  };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}
