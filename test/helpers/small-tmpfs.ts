/**
 * A small real filesystem that can be filled up: a tmpfs mounted on a temporary folder (needs
 * root). Suites that need one skip when they cannot mount it, unless PREVIEWD_REQUIRE_ALL=1: then
 * they fail, so CI cannot pass by skipping.
 *
 *   const disk = await mountTmpfs(64 * 1024 * 1024);
 *   await disk.fill();   // every write now fails with ENOSPC
 *   await disk.free();   // space is back
 *   await disk.unmount();
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export interface SmallDisk {
  dir: string;
  /** Writes one file until the filesystem is full. */
  fill(): Promise<void>;
  /** Removes that file. */
  free(): Promise<void>;
  unmount(): Promise<void>;
}

/** Whether this process may mount a tmpfs (root, and a kernel that lets it). */
export const canMountTmpfs = (() => {
  if (process.getuid?.() !== 0) return false;
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-tmpfs-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** `describe.skipIf(skipWithoutTmpfs)`. */
export const skipWithoutTmpfs = !canMountTmpfs && process.env.PREVIEWD_REQUIRE_ALL !== "1";

export async function mountTmpfs(bytes: number): Promise<SmallDisk> {
  if (!canMountTmpfs)
    throw new Error("mounting a tmpfs is required (PREVIEWD_REQUIRE_ALL=1) but needs root and mount(2)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-tmpfs-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${bytes},mode=0755`, "tmpfs", dir]);
  const filler = path.join(dir, "filler");
  return {
    dir,
    async fill() {
      const handle = await open(filler, "a");
      const chunk = Buffer.alloc(1024 * 1024);
      try {
        for (;;) await handle.write(chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
        // The last megabyte: a tmpfs can have less than a chunk left.
        try {
          for (;;) await handle.write(chunk.subarray(0, 512));
        } catch {
          // full
        }
      } finally {
        await handle.close();
      }
    },
    free: () => rm(filler, { force: true }),
    async unmount() {
      execFileSync("umount", ["-l", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
