/**
 * With a token set, previews ask for it (provisioner/proxy/preview-access.ts). The environment's
 * own browser gets in the way a person does: with the session cookie a share link would set,
 * put straight into its cookie jar, one host-only cookie per preview host of its own
 * environment (never anyone else's, never the token itself).
 */
import type { CdpConnection } from "../cdp/cdp-connection.ts";

export interface PreviewCookie {
  name: string;
  value: string;
  /** The preview URL the cookie belongs to; it becomes a host-only cookie of that host. */
  url: string;
  /** Unix seconds. */
  expires: number;
}

/** Sets the cookies in one browser context (default: the browser's default context). */
export async function setPreviewCookies(
  cdp: CdpConnection,
  cookies: PreviewCookie[],
  browserContextId?: string,
): Promise<void> {
  if (cookies.length === 0) return;
  await cdp.send("Storage.setCookies", {
    cookies: cookies.map((cookie) => ({ ...cookie, path: "/", httpOnly: true, sameSite: "Lax" })),
    ...(browserContextId && { browserContextId }),
  });
}
