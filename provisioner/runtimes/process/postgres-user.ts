/**
 * Postgres refuses to run as root. When previewd is root, initdb and postgres run as the
 * `postgres` OS user, created if missing (system-user.ts).
 */
import { systemUser, type RunAs } from "./system-user.ts";

export type { RunAs };

let found: Promise<RunAs> | undefined;

/**
 * Undefined when previewd is not root (Postgres then runs as previewd's user). Looked up once per
 * process, as the runner user is (child-identity.ts); a failure is looked up again next time.
 */
export async function postgresRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  if (!found) {
    found = systemUser("postgres");
    found.catch(() => (found = undefined));
  }
  return found;
}
