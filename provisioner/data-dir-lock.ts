import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { ConflictError } from "./errors.ts";

/**
 * One previewd per data dir: two would fight over the same processes and state. The lock is a
 * pid file; a stale one (its process is gone, e.g. after kill -9) is taken over.
 */
export async function acquireDataDirLock(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, "previewd.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(await readFile(file, "utf8").catch(() => ""));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new ConflictError(`another previewd (pid ${pid}) is using ${dataDir}`);
      }
      await rm(file, { force: true });
    }
  }
  throw new ConflictError(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
