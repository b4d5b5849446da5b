import { spawn } from "node:child_process";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { removeTree } from "./remove-tree.ts";

/** A tree of `folders` folders of 50 files each, given to `owner` (as a worktree is handed over). */
function tree(folders: number, owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-remove-tree-"));
  for (let d = 0; d < folders; d++) {
    mkdirSync(path.join(dir, `d${d}`));
    for (let f = 0; f < 50; f++) writeFileSync(path.join(dir, `d${d}`, `f${f}`), "x");
  }
  if (owner) {
    for (const item of ["", ...readdirSync(dir, { recursive: true, encoding: "utf8" })])
      chownSync(path.join(dir, item), owner.uid, owner.gid);
  }
  return dir;
}

describe("removeTree", () => {
  it("removes a tree, links themselves and not what they point to; a missing one is no error", async () => {
    const outside = tree(1);
    const dir = tree(2);
    symlinkSync(outside, path.join(dir, "d0", "out"));
    await removeTree(dir);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(path.join(outside, "d0"))).toHaveLength(50);
    await removeTree(dir);
    await removeTree(outside);
  });

  it.runIf(process.getuid?.() === 0)(
    "as root, never removes through a folder its owner swaps for a link meanwhile",
    async () => {
      // What a running app can do to any worktree while root removes it: swap folders for links to
      // root's files, over and over. Node's fs.rm lost root's files in 2 of 3 runs of 8 such rounds.
      const nobody = { uid: 65534, gid: 65534 };
      for (let round = 0; round < 16; round++) {
        const canary = tree(1); // root's, 0700
        const dir = tree(12, nobody);
        const swaps = ["d0", "d4", "d8"].map(
          (d) => `mv ${d} .x && ln -s "$2/d0" ${d} && rm ${d}; mv .x ${d};`,
        );
        const loop = `cd "$1" && : > swapping && while :; do ${swaps.join(" ")} done 2>/dev/null`;
        const swapper = spawn("sh", ["-c", loop, "sh", dir, canary], {
          ...nobody,
          detached: true,
          stdio: "ignore",
        });
        while (!existsSync(path.join(dir, "swapping"))) await sleep(5);
        // Removing may fail while the owner keeps writing the tree: that is fine, losing root's files is not.
        await removeTree(dir).catch(() => undefined);
        process.kill(-swapper.pid!, "SIGKILL"); // The loop and the mv or ln it runs.
        await new Promise((resolve) => swapper.once("exit", resolve));
        expect(readdirSync(path.join(canary, "d0")), `round ${round}`).toHaveLength(50);
        await Promise.all([removeTree(dir), removeTree(canary)]);
      }
    },
  );
});
