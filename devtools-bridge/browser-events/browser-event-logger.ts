/**
 * Puts what every page of a browser reports into the environment's logs (`app: "browser"`,
 * stream `browser`, with the page URL), whoever opened the page: the bridge's own connection
 * auto-attaches to every page target of the browser.
 */
import type { Logger } from "../../provisioner/logger.ts";
import type { BrowserLogSink } from "../bridge-deps.ts";
import type { CdpConnection } from "../cdp/cdp-connection.ts";
import { enablePageEvents, watchPageEvents } from "./page-events.ts";

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
}

interface AttachedPage {
  targetId: string;
  url: string;
  unwatch(): void;
}

export async function logBrowserEvents(
  cdp: CdpConnection,
  options: { envId: string; sink: BrowserLogSink; logger: Logger },
): Promise<void> {
  const pages = new Map<string, AttachedPage>();
  cdp.on("Target.attachedToTarget", (params, from) => {
    const sessionId = String(params.sessionId);
    const info = params.targetInfo as TargetInfo;
    if (from !== undefined || info.type !== "page") return;
    // The bridge's own attachToTarget (screenshots) reports here too: one logging session per page.
    if ([...pages.values()].some((page) => page.targetId === info.targetId)) return;
    const page: AttachedPage = {
      targetId: info.targetId,
      url: info.url,
      unwatch: watchPageEvents(cdp, sessionId, (event) =>
        options.sink.append(options.envId, {
          app: "browser",
          stream: "browser",
          line: `${event.text} [page ${page.url}]`,
        }),
      ),
    };
    pages.set(sessionId, page);
    enablePageEvents(cdp, sessionId).catch((error: unknown) =>
      options.logger.debug({ env: options.envId, err: error }, "page closed before its events were enabled"),
    );
  });
  cdp.on("Target.targetInfoChanged", (params) => {
    const info = params.targetInfo as TargetInfo;
    for (const page of pages.values()) if (page.targetId === info.targetId) page.url = info.url;
  });
  cdp.on("Target.detachedFromTarget", (params) => {
    const sessionId = String(params.sessionId);
    pages.get(sessionId)?.unwatch();
    pages.delete(sessionId);
  });
  await cdp.send("Target.setDiscoverTargets", { discover: true });
  await cdp.send("Target.setAutoAttach", {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: true,
    filter: [{ type: "page" }],
  });
}
