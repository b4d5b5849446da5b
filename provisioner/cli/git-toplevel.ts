/** The git working tree a directory belongs to, for `previewd up [dir]`. */
import { execFile } from "node:child_process";
import { realpath } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { ValidationError } from "../errors.ts";

const run = promisify(execFile);

/** `{toplevel, dir}`: the worktree's root and `dir` relative to it ("." at the root). */
export async function locateWorktree(dir: string): Promise<{ toplevel: string; dir: string }> {
  const absolute = await realpath(path.resolve(dir)).catch((cause: unknown) => {
    throw new ValidationError(`${dir} does not exist`, { cause });
  });
  const { stdout } = await run("git", ["rev-parse", "--show-toplevel"], { cwd: absolute }).catch(
    (cause: unknown) => {
      throw new ValidationError(`${absolute} is not inside a git repository`, { cause });
    },
  );
  const toplevel = stdout.trim();
  const relative = path.relative(toplevel, absolute).split(path.sep).join("/");
  return { toplevel, dir: relative || "." };
}
