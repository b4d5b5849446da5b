/**
 * Which `Origin` headers previewd accepts: its own origins (an allowed host on the port the request
 * came in on, and PREVIEWD_PUBLIC_URL's origin) and PREVIEWD_ALLOWED_ORIGINS. Compared with this
 * list, never with the request's Host: under DNS rebinding the two are equal.
 */
import type { GuardConfig } from "./guard-config.ts";
import type { HostAllowlist } from "./host-allowlist.ts";

export class OriginAllowlist {
  readonly #exact: Set<string>;

  constructor(
    config: Pick<GuardConfig, "allowedOrigins" | "publicUrl">,
    private readonly hosts: HostAllowlist,
    /** Preview pages run other people's code: never previewd's own origin, whatever the host rules say. */
    private readonly isPreviewHost: (hostname: string) => boolean,
  ) {
    this.#exact = new Set([
      ...config.allowedOrigins,
      ...(config.publicUrl ? [new URL(config.publicUrl).origin.toLowerCase()] : []),
    ]);
  }

  /**
   * `ownPort` is the port the request arrived on: a page on another loopback port (an app's
   * directUrl, any local dev server) is another origin. `extra` are origins this path also accepts.
   */
  allows(origin: string, ownPort: number, extra: readonly string[] = []): boolean {
    const lower = origin.toLowerCase();
    if (this.#exact.has(lower) || extra.includes(origin)) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // "null" (sandboxed frames, file: pages, some redirects) included
    }
    // previewd itself serves plain HTTP; an https origin of its own is PREVIEWD_PUBLIC_URL's.
    if (url.protocol !== "http:" || url.origin !== lower) return false;
    const hostname = url.hostname.replace(/\.$/, "");
    if (this.isPreviewHost(hostname)) return false;
    return Number(url.port || 80) === ownPort && this.hosts.allows({ hostname, port: url.port });
  }
}
