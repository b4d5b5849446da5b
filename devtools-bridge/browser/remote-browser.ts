/**
 * An environment's own Chromium that the bridge did not launch (kubernetes: the namespace's
 * `browser`, port-forwarded to loopback): found through its `/json/version`. The bridge only
 * attaches to it and disconnects; it never stops it.
 */
import { BrowserUnavailableError } from "../bridge-errors.ts";
import { chromiumJson } from "../cdp/chromium-http.ts";

export interface RemoteChromium {
  /** The loopback DevTools port. */
  port: number;
  /** The browser target's id, as in `/devtools/browser/<id>`. */
  browserId: string;
}

/** BrowserUnavailableError (503) naming the environment when its browser cannot be reached. */
export async function findRemoteChromium(
  envId: string,
  httpUrl: string | undefined,
): Promise<RemoteChromium> {
  const unreachable = (why: string) =>
    new BrowserUnavailableError(`the browser of environment ${envId} is not reachable: ${why}`);
  if (httpUrl === undefined) throw unreachable("its runtime has no forward to it (yet)");
  const url = new URL(httpUrl);
  if (url.protocol !== "http:" || !["127.0.0.1", "localhost"].includes(url.hostname) || !url.port)
    throw unreachable(`expected a loopback http://127.0.0.1:<port> URL (got ${JSON.stringify(httpUrl)})`);
  const port = Number(url.port);
  const version = await chromiumJson<{ webSocketDebuggerUrl?: string }>(port, "GET", "/json/version").catch(
    (error: unknown) => {
      throw unreachable(`GET ${httpUrl}/json/version: ${(error as Error).message}`);
    },
  );
  const browserId = /\/devtools\/browser\/([^/?#]+)$/.exec(version.webSocketDebuggerUrl ?? "")?.[1];
  if (!browserId)
    throw unreachable(
      `/json/version has no browser webSocketDebuggerUrl (got ${JSON.stringify(version.webSocketDebuggerUrl)})`,
    );
  return { port, browserId };
}
