/**
 * Dashboard sessions: after the token is entered once, the browser holds an opaque random id in an
 * HttpOnly cookie and previewd keeps (a digest of) it in memory with an expiry. The cookie is never
 * the token nor derived from it; logging out forgets the id, and a restart of previewd forgets them
 * all (the dashboard asks for the token again).
 */
import { createHash, randomBytes } from "node:crypto";

export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** Oldest sessions go first past this many: logging in in a loop cannot grow previewd's memory. */
export const MAX_SESSIONS = 1000;

export interface OpenedSession {
  id: string;
  expiresAt: Date;
}

export class DashboardSessions {
  /** Digest of the id → expiry in ms; Map order is creation order, so the first is the oldest. */
  readonly #expiries = new Map<string, number>();

  constructor(private readonly options: { ttlMs?: number; max?: number; now?: () => number } = {}) {}

  open(): OpenedSession {
    const now = this.#now();
    for (const [key, expiry] of this.#expiries) if (expiry <= now) this.#expiries.delete(key);
    while (this.#expiries.size >= (this.options.max ?? MAX_SESSIONS)) {
      this.#expiries.delete(this.#expiries.keys().next().value!);
    }
    const id = randomBytes(32).toString("base64url");
    const expiresAt = now + (this.options.ttlMs ?? SESSION_TTL_MS);
    this.#expiries.set(digest(id), expiresAt);
    return { id, expiresAt: new Date(expiresAt) };
  }

  valid(id: string | undefined): boolean {
    if (!id) return false;
    const key = digest(id);
    const expiry = this.#expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > this.#now()) return true;
    this.#expiries.delete(key);
    return false;
  }

  close(id: string | undefined): void {
    if (id) this.#expiries.delete(digest(id));
  }

  #now(): number {
    return this.options.now?.() ?? Date.now();
  }
}

// Looked up by digest: a map lookup by the id itself would compare the secret in variable time.
function digest(id: string): string {
  return createHash("sha256").update(id).digest("base64url");
}
