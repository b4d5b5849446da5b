/**
 * Postgres refuses to run as root. When previewd is root, initdb and postgres run as the
 * `postgres` OS user, created if missing (system-user.ts).
 */
import { systemUser, type RunAs } from "./system-user.ts";

export type { RunAs };

/** Undefined when previewd is not root (Postgres then runs as previewd's user). */
export async function postgresRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  return systemUser("postgres");
}
