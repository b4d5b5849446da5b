/**
 * The passphrase the stacks' secrets are encrypted with (Pulumi's passphrase secrets provider):
 * made once, random, in a file under previewd's data dir only its owner may read (0600), and
 * handed to pulumi as PULUMI_CONFIG_PASSPHRASE_FILE, so the secret itself is never in an
 * environment variable, an argument or a log line.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { RuntimeUnavailableError } from "../../errors.ts";

export function passphraseFile(dataDir: string): string {
  return path.join(dataDir, "pulumi-passphrase");
}

/** The file's path; created on first use. Two previewd calls racing keep the first file written. */
export async function ensurePassphraseFile(dataDir: string): Promise<string> {
  const file = passphraseFile(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    // `wx`: never replace a passphrase, or every stack encrypted with it becomes unreadable.
    await writeFile(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Made by someone else (a restore, a hand): keep it, but never readable by others.
    await chmod(file, 0o600);
    if ((await readFile(file, "utf8")).trim() === "") {
      throw new RuntimeUnavailableError(
        `the stacks' passphrase file ${file} is empty: remove it only if no stack was ever encrypted with it`,
      );
    }
  }
  return file;
}
