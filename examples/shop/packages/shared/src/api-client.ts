import { HttpError } from "./http.ts";
import type { ApiError } from "./model.ts";

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

/**
 * Calls the shop's API at `baseUrl`. A non-2xx answer becomes an HttpError with the API's status
 * and message (so a 402 from the API can be shown as such); no answer at all becomes a 502.
 */
export function createApiClient(baseUrl: string, timeoutMs = 10_000): ApiClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new HttpError(
        502,
        "api_unavailable",
        `the API at ${baseUrl} did not answer: ${(error as Error).message}`,
      );
    }
    const payload = (await res.json().catch(() => ({}))) as Partial<ApiError>;
    if (!res.ok) {
      throw new HttpError(
        res.status,
        payload.error ?? "api_error",
        payload.message ?? `the API answered ${res.status}`,
      );
    }
    return payload as T;
  }
  return {
    get: (path) => call("GET", path),
    post: (path, body) => call("POST", path, body),
  };
}
