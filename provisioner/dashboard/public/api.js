// @ts-check
/**
 * The page's only way to previewd: the same /v1 API every client uses. Requests carry
 * `X-Previewd-Dashboard` (a header a cross-site form cannot send) and, with a token set, the
 * session cookie the sign-in set; the page never holds the token.
 */

const dashboardHeader = { "x-previewd-dashboard": "1" };

/** A problem+json answer, as one sentence: its `detail`, and the fields it names unless it already does. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{title?: string, detail?: string, errors?: {path: string, message: string}[]} | undefined} problem
   */
  constructor(status, problem) {
    const detail = problem?.detail ?? problem?.title ?? `previewd answered ${status}`;
    const errors = problem?.errors ?? [];
    const named = errors.length === 0 || detail.includes(errors[0]?.path ?? "");
    super(named ? detail : `${detail} (${errors.map((e) => `${e.path}: ${e.message}`).join("; ")})`);
    this.status = status;
  }
}

/**
 * `/v1/environments/<id><suffix>`
 * @param {string} id
 * @param {string} [suffix]
 */
export function envPath(id, suffix = "") {
  return `/v1/environments/${encodeURIComponent(id)}${suffix}`;
}

/**
 * JSON in and out; a 401 (the session expired, previewd restarted) goes back to the sign-in.
 * @param {string} path
 * @param {{method?: string, body?: unknown}} [options]
 * @returns {Promise<any>}
 */
export async function api(path, { method = "GET", body } = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { ...dashboardHeader, ...(body !== undefined && { "content-type": "application/json" }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (response.status === 401) signInAgain();
  if (response.status === 204) return undefined;
  const data = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/**
 * Whether a GET answers 2xx, and the problem when it does not (e.g. a log filter previewd refuses).
 * @param {string} path
 * @returns {Promise<ApiError | undefined>}
 */
export async function check(path) {
  const response = await fetch(path, { credentials: "same-origin", headers: dashboardHeader });
  if (response.status === 401) signInAgain();
  if (response.ok) return undefined;
  return new ApiError(response.status, await response.json().catch(() => undefined));
}

/**
 * Follows an SSE endpoint: `onData` gets each message's JSON. EventSource reconnects by itself
 * after a dropped connection; a refusal (the session is gone) sends the page to the sign-in.
 * @param {string} path
 * @param {(data: any) => void} onData
 * @param {{onState?: (state: "live" | "reconnecting") => void}} [options]
 * @returns {() => void} stops following
 */
export function follow(path, onData, { onState } = {}) {
  /** @type {EventSource | undefined} */
  let source;
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let retry;
  const open = () => {
    source = new EventSource(path);
    source.onopen = () => onState?.("live");
    source.onmessage = (event) => onData(JSON.parse(event.data));
    source.onerror = () => {
      onState?.("reconnecting");
      if (source?.readyState !== EventSource.CLOSED || stopped) return;
      // Closed for good: an error status. Signed out → sign in; otherwise try again shortly.
      void sessionState().then((state) => {
        if (state.tokenRequired && !state.signedIn) signInAgain();
        else if (!stopped) retry = setTimeout(open, 2000);
      });
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(retry);
    source?.close();
  };
}

/** @returns {Promise<{tokenRequired: boolean, signedIn: boolean}>} */
export async function sessionState() {
  const response = await fetch("/dashboard/session", { credentials: "same-origin" });
  return response.json();
}

export async function signOut() {
  await fetch("/dashboard/session", {
    method: "DELETE",
    credentials: "same-origin",
    headers: dashboardHeader,
  });
  location.assign("/");
}

function signInAgain() {
  location.assign("/");
}
