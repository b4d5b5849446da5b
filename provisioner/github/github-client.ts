/**
 * previewd's GitHub REST client: @octokit/rest with retries and GitHub's rate-limit rules. The
 * throttling plugin waits out primary and secondary rate limits (403/429 with `retry-after` or
 * `x-ratelimit-reset`); a plain 429 waits exactly the `Retry-After` GitHub asks for; other
 * failures (5xx, network) are retried by the retry plugin with backoff.
 */
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Logger } from "../logger.ts";

export type GitHubClient = Octokit;

export interface GitHubClientOptions {
  apiUrl: string;
  token: string;
  logger: Logger;
  /** Give up on a rate limit that asks for a longer wait than this, in seconds. */
  maxRetryAfterSeconds?: number;
}

const RetryingOctokit = Octokit.plugin(retry, throttling);

export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const { logger } = options;
  const maxWait = options.maxRetryAfterSeconds ?? 120;
  const log = logger.child({ component: "github" });
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const retrying = retryCount < 2 && retryAfter <= maxWait;
      log.warn(
        { kind, retryAfter, method: request.method, route: request.url, retrying },
        "GitHub rate limit",
      );
      return retrying;
    };
  const octokit = new RetryingOctokit({
    auth: options.token,
    baseUrl: options.apiUrl,
    userAgent: "previewd",
    log: {
      debug: (message: string) => log.debug(message),
      info: (message: string) => log.info(message),
      warn: (message: string) => log.warn(message),
      error: (message: string) => log.error(message),
    },
    throttle: { onRateLimit: onLimit("primary"), onSecondaryRateLimit: onLimit("secondary") },
    // A 429 is retried below with its own Retry-After instead of the retry plugin's backoff.
    retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
  });
  octokit.hook.wrap("request", async (request, requestOptions) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(requestOptions);
      } catch (error) {
        const wait = plainRetryAfter(error);
        if (wait === undefined || attempt >= 2 || wait > maxWait) throw error;
        log.warn({ retryAfter: wait, route: requestOptions.url }, "GitHub answered 429; retrying");
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    }
  });
  return octokit;
}

/** Seconds to wait for a 429 the throttling plugin does not handle (no rate-limit headers or message). */
function plainRetryAfter(error: unknown): number | undefined {
  const { status, message, response } = error as {
    status?: number;
    message?: string;
    response?: { headers?: Record<string, string | number | undefined> };
  };
  if (status !== 429 || /\bsecondary rate\b/i.test(message ?? "")) return undefined;
  const headers = response?.headers ?? {};
  if (String(headers["x-ratelimit-remaining"]) === "0") return undefined;
  const header = headers["retry-after"];
  if (header === undefined) return 1;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(String(header));
  return Number.isNaN(date) ? 1 : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
