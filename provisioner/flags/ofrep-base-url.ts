/**
 * An environment's OFREP base URL: what apps get as `PREVIEW_FLAGS_URL` and the environment
 * object shows as `flagsUrl`. OFREP providers append `/ofrep/v1/evaluate/flags/<key>` to it.
 */
export function ofrepBasePath(id: string): string {
  return `/v1/environments/${encodeURIComponent(id)}`;
}

/** `origin` is previewd's, e.g. `http://127.0.0.1:7070`. */
export function ofrepBaseUrl(origin: string, id: string): string {
  return origin.replace(/\/+$/, "") + ofrepBasePath(id);
}
