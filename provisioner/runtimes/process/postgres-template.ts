/**
 * A freshly initialised Postgres cluster kept as a template: `initdb` takes most of a second, a
 * copy of its result a fifth of that, and every environment's cluster starts out the same. It
 * holds the service's database already (made in single-user mode, no server needed): a
 * `CREATE DATABASE` in each new cluster took ~0.25 s of its start. The template is keyed by a
 * hash of the binaries, the initdb arguments and the database's name, written under a
 * temporary name and renamed (a crash or a concurrent environment never leaves half of one),
 * and carries a superuser password of its own, which each copy replaces with its environment's
 * once it runs (see postgres-service.ts), so no two environments share a password.
 *
 * Each template keeps a spare copy of its cluster (`<template>/spare`, spare-copies.ts): the next
 * cluster is a rename instead of a copy of ~50 MB beside that environment's builds.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chown, mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { RunAs } from "./postgres-user.ts";
import { exists } from "../../sources/fs-checks.ts";
import { copyAhead, SpareCopies, sweepTemporaries } from "./spare-copies.ts";
import { removeTree } from "../../remove-tree.ts";

const run = promisify(execFile);

/** Templates on another file system than the clusters made from them. */
const apart = new Set<string>();
/** Replaced once stopped: other runtimes in this process go on. */
let spares = new SpareCopies();

export interface InitdbRun {
  initdb: string;
  /** Everything but `--pgdata` and `--pwfile`. */
  args: readonly string[];
  runAs: RunAs | undefined;
  /** Runs initdb for `pgdata` with the password in `pwfile`; throws when it fails. */
  exec(pgdata: string, pwfile: string): Promise<void>;
  /** The database each copy is for, made in the template; none: only initdb's. */
  database?: string;
  /** Runs `sql` in Postgres' single-user mode on the stopped cluster `pgdata`; throws when it fails. */
  single?(pgdata: string, sql: string): Promise<void>;
}

/** Copies the template (making it first if needed) to `target`; returns the template's superuser password. */
export async function copyInitdbTemplate(
  templatesDir: string,
  target: string,
  initdb: InitdbRun,
): Promise<string> {
  const binary = await stat(initdb.initdb);
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        initdb.initdb,
        binary.size,
        binary.mtimeMs,
        initdb.args,
        initdb.runAs ?? null,
        initdb.database ?? null,
      ]),
    )
    .digest("hex")
    .slice(0, 16);
  const template = join(templatesDir, `postgres-${key}`);
  // Every time, not only when making one: the template a dead previewd was making may exist by now.
  await sweepTemporaries(templatesDir);
  if (!(await exists(join(template, "pgdata", "PG_VERSION"))))
    await makeTemplate(templatesDir, template, initdb);
  await removeTree(target);
  // The spare, claimed by the rename (one environment gets it), or a copy. Clusters on another
  // file system than the template get no spare: theirs is always a copy.
  const moved = await rename(join(template, "spare"), target).then(
    () => true,
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== "EXDEV") return false;
      apart.add(template);
      await removeTree(join(template, "spare"));
      return false;
    },
  );
  if (!apart.has(template)) spares.want(template, (signal) => makeSpare(template, signal));
  if (!moved) {
    // -a keeps the owner (the postgres user) and the 0700 mode Postgres insists on.
    await run("cp", ["-a", "--reflink=auto", "--", join(template, "pgdata"), target]);
  }
  return (await readFile(join(template, "password"), "utf8")).trim();
}

/** Makes, in the background, the spares used since the last call (see above). Never fails. */
export function fillTemplateSpares(): void {
  spares.fill();
}

/** Once no spare is being made; with `stop`, the copies under way are stopped first (previewd closing). */
export async function templateSparesMade(options: { stop?: boolean } = {}): Promise<void> {
  if (!options.stop) return spares.settled();
  const stopping = spares;
  spares = new SpareCopies();
  await stopping.stop();
}

async function makeSpare(template: string, signal: AbortSignal): Promise<void> {
  if (await exists(join(template, "spare"))) return;
  const temporary = join(dirname(template), `.${randomBytes(6).toString("hex")}`);
  await copyAhead(join(template, "pgdata"), temporary, join(template, "spare"), { signal });
}

async function makeTemplate(templatesDir: string, template: string, initdb: InitdbRun): Promise<void> {
  const temporary = join(templatesDir, `.${randomBytes(6).toString("hex")}`);
  const pgdata = join(temporary, "pgdata");
  const pwfile = join(temporary, "initdb.pw");
  const password = randomBytes(18).toString("base64url");
  await mkdir(pgdata, { recursive: true, mode: 0o700 });
  try {
    await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
    if (initdb.runAs) {
      const { uid, gid } = initdb.runAs;
      await Promise.all([temporary, pgdata, pwfile].map((p) => chown(p, uid, gid)));
    }
    await initdb.exec(pgdata, pwfile);
    if (initdb.database && initdb.single) {
      // FILE_COPY: the files copied as they are, rather than each page written to the WAL too.
      const name = `"${initdb.database.replaceAll('"', '""')}"`;
      await initdb.single(pgdata, `CREATE DATABASE ${name} STRATEGY FILE_COPY`);
    }
    await rm(pwfile);
    await writeFile(join(temporary, "password"), `${password}\n`, { mode: 0o600 });
    // initdb ran with --no-sync: on disk before it has its name, or a power loss could leave a
    // template with torn files that every later environment copies.
    await run("sync", ["-f", temporary]);
    await rename(temporary, template).catch((error: NodeJS.ErrnoException) => {
      // Another environment made the same template meanwhile: theirs is as good as ours.
      if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
    });
  } finally {
    await removeTree(temporary);
  }
}
