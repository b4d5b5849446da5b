/**
 * A copy of the embedded Postgres binaries (bin, lib, share) that the `postgres` OS user can run
 * wherever the checkout is: `node_modules` often sits below a folder only its owner may enter
 * (`/root`, `mktemp -d`). Made once per release, under a temporary name then renamed, so a crash
 * or a concurrent previewd never leaves half a copy under the real name.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PostgresBinaries } from "../postgres-binaries.ts";
import { exists } from "../../sources/fs-checks.ts";
import { sweepTemporaries } from "./spare-copies.ts";

const run = promisify(execFile);

const copies = new Map<string, Promise<PostgresBinaries>>();

/** The binaries copied to `<dir>/<release>/` (made if missing); `dir` must exist and be previewd's own. */
export function copiedBinaries(source: PostgresBinaries, dir: string): Promise<PostgresBinaries> {
  const target = join(dir, source.release);
  let copy = copies.get(target);
  if (!copy) {
    copy = copyOnce(source, dir, target);
    copies.set(target, copy);
    // A failure is retried by the next service rather than remembered.
    copy.catch(() => copies.delete(target));
  }
  return copy;
}

async function copyOnce(source: PostgresBinaries, dir: string, target: string): Promise<PostgresBinaries> {
  // Once per previewd, copy or not: a copy a dead previewd was making is 60 MB.
  await sweepTemporaries(dir);
  if (!(await exists(join(target, "bin", "postgres")))) {
    const temporary = join(dir, `.${randomBytes(6).toString("hex")}`);
    try {
      // Not -a: the copy belongs to root (whoever owns the checkout must not be able to change
      // what runs), keeps its symlinks (lib/*.so), modes and times (the template key uses them).
      await run("cp", ["-R", "-P", "--preserve=mode,timestamps", "--", source.nativeDir, temporary]);
      // Everyone may read and run it, only root may change it, whatever the checkout's modes.
      await run("chmod", ["-R", "u+rwX,go+rX,go-w", "--", temporary]);
      await chmod(temporary, 0o755);
      await run("sync", ["-f", temporary]);
      await rename(temporary, target).catch((error: NodeJS.ErrnoException) => {
        // Another previewd made the same copy meanwhile: theirs is as good as ours.
        if (error.code !== "ENOTEMPTY" && error.code !== "EEXIST") throw error;
      });
    } finally {
      await rm(temporary, { recursive: true, force: true });
    }
  }
  return {
    ...source,
    initdb: join(target, "bin", "initdb"),
    postgres: join(target, "bin", "postgres"),
    nativeDir: target,
  };
}
