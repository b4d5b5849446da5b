/**
 * Replacing a file whole: the content goes to a temporary file beside it, which rename(2) puts in
 * place at once, so a reader or a crash sees the old content or the new, never half of it. A write
 * that fails (a full disk) removes its temporary file and leaves the old content.
 */
import { randomBytes } from "node:crypto";
import { chmod, open, rename, rm } from "node:fs/promises";

export interface AtomicWriteOptions {
  /** The file's mode, whatever the umask; default 0o600. */
  mode?: number;
  /** fsync before the rename, for state that must survive a power cut. */
  sync?: boolean;
}

export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  { mode = 0o600, sync = false }: AtomicWriteOptions = {},
): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await open(temporary, "w", mode);
    try {
      await handle.writeFile(data);
      if (sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(temporary, mode);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}
