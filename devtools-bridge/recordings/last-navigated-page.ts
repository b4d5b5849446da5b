/**
 * Which page of a browser was navigated last (a recording's default target): the page whose URL
 * changed most recently to something other than about:blank, among the pages still open and not
 * the bridge's own. Read from the bridge's connection, which discovers every target.
 */
import type { CdpConnection } from "../cdp/cdp-connection.ts";

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
}

/** Starts listening; call before `Target.setDiscoverTargets`, so no page is missed. */
export function trackLastNavigatedPage(
  cdp: CdpConnection,
  internalTargets: ReadonlySet<string>,
): () => string | undefined {
  const urls = new Map<string, string>();
  // Oldest first; a page moves to the end each time it navigates.
  const navigated = new Set<string>();
  const seen = (info: TargetInfo) => {
    if (info.type !== "page" || urls.get(info.targetId) === info.url) return;
    urls.set(info.targetId, info.url);
    if (info.url === "about:blank" || info.url === "") return;
    navigated.delete(info.targetId);
    navigated.add(info.targetId);
  };
  cdp.on("Target.targetCreated", (params) => seen(params.targetInfo as TargetInfo));
  cdp.on("Target.targetInfoChanged", (params) => seen(params.targetInfo as TargetInfo));
  cdp.on("Target.targetDestroyed", (params) => {
    urls.delete(String(params.targetId));
    navigated.delete(String(params.targetId));
  });
  return () => [...navigated].reverse().find((targetId) => !internalTargets.has(targetId));
}
