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
      // root's files, over and over. Node's fs.rm lost a third of such rounds.
      const nobody = { uid: 65534, gid: 65534 };
      for (let round = 0; round < 8; round++) {
        const canary = tree(1); // root's, 0700
        const dir = tree(12, nobody);
        const swaps = ["d0", "d4", "d8"].map(
          (d) => `mv ${d} .x && ln -s ${canary}/d0 ${d} && rm ${d}; mv .x ${d};`,
        );
        const swapper = spawn(
          "sh",
          ["-c", `cd "$1" && while :; do ${swaps.join(" ")} done 2>/dev/null`, "sh", dir],
          {
            ...nobody,
            stdio: "ignore",
          },
        );
        await sleep(10);
        // Removing may fail while the owner keeps writing the tree: that is fine, losing root's files is not.
        await removeTree(dir).catch(() => undefined);
        swapper.kill("SIGKILL");
        await new Promise((resolve) => swapper.once("exit", resolve));
        expect(readdirSync(path.join(canary, "d0")), `round ${round}`).toHaveLength(50);
        await Promise.all([removeTree(dir), removeTree(canary)]);
      }
    },
  );
});
