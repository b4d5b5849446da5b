/**
 * Signed, expiring values that open an environment's previews without the token: the share
 * link's `?previewd_share=` and the session cookie it sets. `<expires-unix-seconds>.<mac>`, where
 * the MAC is HMAC-SHA256 over (purpose, environment id, expiry) with a key derived from the
 * token: the token itself never leaves previewd, a value opens one environment only, and
 * changing the token revokes every link and cookie at once.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** A share link (in a URL) and a session cookie (in a browser) are not interchangeable. */
export type SignaturePurpose = "share" | "session";

export type Verdict =
  { ok: true; expiresAt: Date } | { ok: false; reason: "malformed" | "expired" | "forged" };

const format = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export class PreviewSigner {
  readonly #key: Buffer;

  constructor(token: string) {
    // A key of its own, so a MAC never doubles as anything the token signs elsewhere.
    this.#key = createHmac("sha256", token).update("previewd preview access v1").digest();
  }

  sign(purpose: SignaturePurpose, envId: string, expiresAt: Date): string {
    const seconds = Math.floor(expiresAt.getTime() / 1000);
    return `${seconds}.${this.#mac(purpose, envId, seconds).toString("base64url")}`;
  }

  verify(purpose: SignaturePurpose, envId: string, value: string, now = new Date()): Verdict {
    const match = format.exec(value);
    if (!match) return { ok: false, reason: "malformed" };
    const seconds = Number(match[1]);
    const sent = Buffer.from(match[2]!, "base64url");
    const expected = this.#mac(purpose, envId, seconds);
    // Constant-time, and before the expiry check, so timing says nothing about either.
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected))
      return { ok: false, reason: "forged" };
    if (seconds * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
    return { ok: true, expiresAt: new Date(seconds * 1000) };
  }

  #mac(purpose: SignaturePurpose, envId: string, seconds: number): Buffer {
    return createHmac("sha256", this.#key).update(`${purpose}\0${envId}\0${seconds}`).digest();
  }
}
