/**
 * Who the processes of an environment run as: one value, passed to every place the process
 * runtime spawns an install, build, app or exec (Postgres has its own user, postgres-user.ts).
 *
 * Not root: previewd's own user, as before (a same-user process can read previewd's
 * `/proc/<pid>/environ`; README "Token" says to use a token file and a separate user).
 *
 * Root: the unprivileged `previewd-run` user, with a HOME of its own under the root layout
 * (`/var/lib/previewd/<owner>/environments/<env>/.home`, postgres-home.ts), so npm, pnpm and
 * corepack caches work and
 * nothing of root's (its environment, `/proc/<previewd>/environ`, the data dir, the token file) is
 * readable. The exception is a caller's own worktree run in place: that is the token holder's own
 * code in their own folder, which `previewd-run` usually cannot write, so it runs as the folder's
 * owner, or as root when root owns it.
 */
import { execFile } from "node:child_process";
import { chmod, chown, lstat, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { RuntimeEnvironment } from "../runtime.ts";
import { corepackVariables } from "./corepack.ts";
import { helperEnvironment } from "../../tar-stream.ts";
import { isRoot, ownerDir, rootHome, traversableDirs } from "./postgres-home.ts";
import { runnerUser } from "../../runner-user.ts";
import { systemUser, type RunAs } from "./system-user.ts";

const run = promisify(execFile);

export interface ChildIdentity {
  uid: number;
  gid: number;
  /** Its HOME (also USER and LOGNAME are set from `user`). */
  home: string;
  user: string;
}

/** The variables a process needs to find its own home; empty for previewd's own identity. */
export function identityVariables(identity: ChildIdentity | undefined): Record<string, string> {
  if (!identity) return {};
  return { HOME: identity.home, USER: identity.user, LOGNAME: identity.user };
}

/**
 * Each environment's steps run with a HOME of their own, so npm's first command in each would ask
 * the registry whether npm itself is outdated (~0.2 s of CPU and a request, on every create), and
 * `npm ci` would send the tree for an audit nobody reads; the funding notice is noise in a log.
 */
const quietNpm = {
  npm_config_update_notifier: "false",
  npm_config_audit: "false",
  npm_config_fund: "false",
};

/**
 * previewd's environment as the base of a child's: as another user, without the `npm_*` variables
 * of an `npm run` that started previewd (`npm_config_cache=/root/.npm` and the like name root's
 * folders, which that user's npm cannot write). Either way with the pnpm and yarn shims first on
 * PATH, which run the version package.json's `packageManager` pins (corepack.ts), and npm's
 * chores for a person at a terminal off unless the user's environment turns them on.
 */
export function identityBase(
  identity: ChildIdentity | undefined,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const own = identity
    ? Object.fromEntries(Object.entries(base).filter(([key]) => !/^npm_/i.test(key)))
    : base;
  return { ...quietNpm, ...own, ...corepackVariables(own.PATH) };
}

let runner: Promise<RunAs> | undefined;

/** The `previewd-run` user's ids, created if missing (once per process). */
export function runnerIds(): Promise<RunAs> {
  if (!runner) {
    runner = systemUser(runnerUser, "install");
    runner.catch(() => (runner = undefined)); // A failure is retried by the next caller.
  }
  return runner;
}

/** Undefined: previewd's own user. */
export async function childIdentity(
  env: Pick<RuntimeEnvironment, "id" | "rootDir" | "inPlace">,
  owner: string,
  home = rootHome,
): Promise<ChildIdentity | undefined> {
  if (!isRoot()) return undefined;
  if (env.inPlace) return folderOwner(env.rootDir);
  try {
    const { uid, gid } = await runnerIds();
    // The environment's own HOME, beside its Postgres clusters: it goes when the environment goes
    // (postgres-home.ts removes that folder), and environments do not share npm caches.
    const envDir = join(ownerDir(home, owner), "environments", env.id);
    await traversableDirs(home, envDir);
    const runnerHome = join(envDir, ".home"); // A dot: no service can be named so.
    await mkdir(runnerHome, { recursive: true });
    await chown(runnerHome, uid, gid);
    await chmod(runnerHome, 0o700);
    return { uid, gid, home: runnerHome, user: runnerUser };
  } catch (error) {
    if (error instanceof ProvisionError) throw error;
    const message = `could not prepare the ${runnerUser} OS user: ${errorMessage(error)}`;
    throw new ProvisionError(message, "install", undefined, [], { cause: error });
  }
}

/** The owner of a caller's folder, with the home and name its passwd entry gives; undefined when root. */
async function folderOwner(dir: string): Promise<ChildIdentity | undefined> {
  const { uid, gid } = await stat(dir);
  if (uid === 0) return undefined;
  // uid:gid of the folder when there is no passwd entry (a container's numeric user).
  const entry = await run("getent", ["passwd", String(uid)]).then(
    ({ stdout }) => stdout.trim().split(":"),
    () => undefined,
  );
  return {
    uid,
    gid: entry?.[3] ? Number.parseInt(entry[3], 10) : gid,
    home: entry?.[5] || dir,
    user: entry?.[0] || String(uid),
  };
}

/**
 * Checks that `identity` can enter and write the worktree `rootDir` once `handedOver` (to it) is
 * done: a worktree below a folder only root may enter (`/root`, `mktemp -d`) would fail every step
 * with a bare EACCES otherwise. The folders above `rootDir`, which the hand-over leaves as they
 * are, are tried as that user beside it (a process of its own); `rootDir` is that user's then,
 * and its mode says the rest (u+wx). Anything else there is tried as that user too.
 */
export async function checkWorktreeReach(
  rootDir: string,
  identity: ChildIdentity | undefined,
  handedOver: Promise<void> = Promise.resolve(),
): Promise<void> {
  if (!identity) return;
  const above = tryAs(identity, 'cd -- "$1"', dirname(rootDir));
  above.catch(() => undefined); // Awaited below, after the hand-over.
  await handedOver;
  const fail = (error: unknown): never => {
    const message =
      `the ${identity.user} OS user cannot enter and write ${rootDir}: every folder above it ` +
      `must let others enter (mode o+x)`;
    throw new ProvisionError(message, "install", undefined, [errorMessage(error)], { cause: error });
  };
  await above.catch(fail);
  const own = await lstat(rootDir).catch(() => undefined);
  const plain = own?.isDirectory() === true && own.uid === identity.uid && (own.mode & 0o300) === 0o300;
  if (!plain) await tryAs(identity, 'cd -- "$1" && test -w .', rootDir).catch(fail);
}

/** Runs the shell `script` as `identity`, with `arg` as its $1. */
async function tryAs(identity: ChildIdentity, script: string, arg: string): Promise<void> {
  const options = { uid: identity.uid, gid: identity.gid, cwd: "/", env: helperEnvironment() };
  await run("sh", ["-c", script, "sh", arg], options);
}

/** Gives `paths` (and all below them) to `identity`: what root checked out or copied there. */
export async function handOver(
  paths: readonly string[],
  identity: Pick<ChildIdentity, "uid" | "gid"> | undefined,
): Promise<void> {
  if (!identity || paths.length === 0) return;
  // -h and -R without -L: links themselves change hands, never what they point to (a link an
  // app planted in its tree must not hand over a file of root's).
  await run("chown", ["-R", "-h", `${identity.uid}:${identity.gid}`, "--", ...paths], {
    maxBuffer: 16 * 1024 * 1024,
  });
}
