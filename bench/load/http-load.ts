/**
 * HTTP load with autocannon: `connections` keep-alive connections for `seconds`. Latencies are
 * collected from each response (autocannon's own histogram keeps whole milliseconds, too coarse
 * for a loopback echo). Every answer must be 2xx with `expectBody`, so a misrouted request (the
 * API's /healthz instead of the app's) counts as an error, not as speed.
 */
import autocannon from "autocannon";
import { summarize, type LoadSummary } from "./latency-summary.ts";

export interface HttpLoad {
  url: string;
  /** Host header: a preview host for the proxy; the URL's own otherwise. */
  host?: string;
  connections: number;
  seconds: number;
  /** The body every answer must have; otherwise any 2xx answer counts. */
  expectBody?: string;
}

export function httpLoad(load: HttpLoad): Promise<LoadSummary> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: load.url,
        connections: load.connections,
        duration: load.seconds,
        ...(load.expectBody !== undefined && { expectBody: load.expectBody }),
        ...(load.host && { headers: { host: load.host } }),
      },
      (error, result) => {
        if (error) return reject(error);
        const errors = result.errors + result.timeouts + result.non2xx + result.mismatches;
        resolve(summarize(latencies, load.seconds, errors));
      },
    );
    instance.on("response", (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime);
    });
  });
}
