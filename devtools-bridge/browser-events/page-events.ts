/**
 * What a page reports that a developer wants to see: console messages, uncaught exceptions,
 * failed navigations (with the URL that failed), failed requests (network errors and HTTP
 * 4xx/5xx) and browser log entries. Read from one flat CDP session with Runtime, Network, Log and
 * Page enabled.
 */
import type { CdpConnection } from "../cdp/cdp-connection.ts";

export interface PageEvent {
  kind: "console" | "pageerror" | "navigationfailed" | "requestfailed" | "log";
  /** `error` for anything a developer would call an error. */
  level: "error" | "warning" | "info";
  text: string;
}

type Params = Record<string, unknown>;

interface RemoteObject {
  type?: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
}

export function describeRemoteObject(object: RemoteObject): string {
  if (typeof object.value === "string") return object.value;
  if (object.unserializableValue !== undefined) return object.unserializableValue;
  if (object.value !== undefined) return JSON.stringify(object.value);
  return object.description ?? object.type ?? "";
}

export function consoleEvent(params: Params): PageEvent {
  const type = String(params.type ?? "log");
  const args = (params.args as RemoteObject[] | undefined) ?? [];
  const level = type === "error" || type === "assert" ? "error" : type === "warning" ? "warning" : "info";
  return { kind: "console", level, text: `console.${type}: ${args.map(describeRemoteObject).join(" ")}` };
}

export function exceptionEvent(params: Params): PageEvent {
  const details = (params.exceptionDetails ?? {}) as {
    text?: string;
    url?: string;
    lineNumber?: number;
    columnNumber?: number;
    exception?: RemoteObject;
  };
  const message = (details.exception?.description ?? details.text ?? "exception").split("\n")[0];
  const where = details.url
    ? ` (${details.url}:${(details.lineNumber ?? 0) + 1}:${(details.columnNumber ?? 0) + 1})`
    : "";
  return { kind: "pageerror", level: "error", text: `uncaught ${message}${where}` };
}

export function logEntryEvent(params: Params): PageEvent | undefined {
  const entry = (params.entry ?? {}) as { source?: string; level?: string; text?: string; url?: string };
  // Network entries duplicate what Network.* reports; verbose and info entries are noise.
  if (entry.source === "network" || (entry.level !== "error" && entry.level !== "warning")) return undefined;
  return {
    kind: "log",
    level: entry.level,
    text: `${entry.source ?? "browser"} ${entry.level}: ${entry.text ?? ""}${entry.url ? ` (${entry.url})` : ""}`,
  };
}

/** Calls `listener` for every event of `sessionId`; returns the unsubscribe function. */
export function watchPageEvents(
  cdp: CdpConnection,
  sessionId: string,
  listener: (event: PageEvent) => void,
): () => void {
  const requests = new Map<string, { method: string; url: string }>();
  // A page opened straight at a URL may fail before the session saw the request: the error page's
  // commit (Page.frameNavigated with unreachableUrl) names the URL then.
  let navigation: { error?: string; reported?: string } = {};
  const navigationFailed = (url: string, error: string | undefined) =>
    listener({
      kind: "navigationfailed",
      level: "error",
      text: `navigation failed: ${url}: ${error ?? "the page could not be loaded"}`,
    });
  const mine =
    (handle: (params: Params) => void) =>
    (params: Params, from: string | undefined): void => {
      if (from === sessionId) handle(params);
    };
  const requestOf = (params: Params) => requests.get(String(params.requestId));
  const unsubscribe = [
    cdp.on(
      "Runtime.consoleAPICalled",
      mine((p) => listener(consoleEvent(p))),
    ),
    cdp.on(
      "Runtime.exceptionThrown",
      mine((p) => listener(exceptionEvent(p))),
    ),
    cdp.on(
      "Log.entryAdded",
      mine((p) => {
        const event = logEntryEvent(p);
        if (event) listener(event);
      }),
    ),
    cdp.on(
      "Network.requestWillBeSent",
      mine((p) => {
        const request = p.request as { method?: string; url?: string } | undefined;
        // Bounded: a page that never finishes its requests must not grow this forever.
        if (requests.size > 1000) requests.clear();
        requests.set(String(p.requestId), { method: request?.method ?? "GET", url: request?.url ?? "" });
      }),
    ),
    cdp.on(
      "Network.responseReceived",
      mine((p) => {
        const response = p.response as { status?: number; url?: string } | undefined;
        const status = response?.status ?? 0;
        if (status < 400) return;
        const request = requestOf(p);
        const url = response?.url ?? request?.url ?? "";
        // The browser asks for /favicon.ico by itself; a site without one has no error to fix.
        if (isFavicon(url)) return;
        const what = `${request?.method ?? "GET"} ${url}`;
        listener({ kind: "requestfailed", level: "error", text: `request failed: ${what}: HTTP ${status}` });
      }),
    ),
    cdp.on(
      "Network.loadingFinished",
      mine((p) => requests.delete(String(p.requestId))),
    ),
    cdp.on(
      "Network.loadingFailed",
      mine((p) => {
        const request = requestOf(p);
        requests.delete(String(p.requestId));
        // A navigation away or a closed tab cancels requests; that is nobody's error.
        if (p.canceled === true) return;
        if (p.type === "Document") {
          navigation = { error: String(p.errorText) };
          if (!request) return; // named when the error page commits
          navigation.reported = request.url;
          return navigationFailed(request.url, navigation.error);
        }
        const what = request ? `${request.method} ${request.url}` : String(p.requestId);
        listener({
          kind: "requestfailed",
          level: "error",
          text: `request failed: ${what}: ${String(p.errorText)}`,
        });
      }),
    ),
    cdp.on(
      "Page.frameNavigated",
      mine((p) => {
        const unreachable = (p.frame as { unreachableUrl?: string } | undefined)?.unreachableUrl;
        if (unreachable && unreachable !== navigation.reported)
          navigationFailed(unreachable, navigation.error);
        navigation = {};
      }),
    ),
  ];
  return () => {
    for (const off of unsubscribe) off();
    requests.clear();
  };
}

function isFavicon(url: string): boolean {
  try {
    return new URL(url).pathname === "/favicon.ico";
  } catch {
    return false;
  }
}

/** Runtime, Network, Log and Page on: what `watchPageEvents` reads. Errors mean the target went away. */
export async function enablePageEvents(cdp: CdpConnection, sessionId: string): Promise<void> {
  await Promise.all([
    cdp.send("Runtime.enable", {}, sessionId),
    cdp.send("Network.enable", {}, sessionId),
    cdp.send("Log.enable", {}, sessionId),
    cdp.send("Page.enable", {}, sessionId),
  ]);
}
