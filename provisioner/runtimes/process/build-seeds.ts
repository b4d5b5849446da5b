/**
 * Which shared build (shared-outputs.ts) may seed a build that has no exact copy: one of the same
 * app and family (the same `build`, path, install and build environment: app-input-hash.ts) from
 * the nearest files, so an incremental tool (`tsc -b` with its .tsbuildinfo, a bundler's cache)
 * redoes only what changed. A build whose files include one that is gone now never seeds: tools
 * keep the outputs of deleted sources (tsc does), which a build from scratch would not have.
 * What changed is the tool's to see: by content (tsc, webpack) or by time (make, whose seeded
 * outputs are older than a fresh checkout's files, so everything is rebuilt).
 *
 *     <dir>/<family>/<entry key>.json   { files: { path: content hash } } of the build in that entry
 */
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../atomic-file.ts";

export interface SeedCandidate {
  /** The shared-outputs entry that holds the build. */
  key: string;
  /** How many of the files differ from the seed's, or are new. */
  changed: number;
}

/** How many seeds a build tries (an entry evicted since it was noted copies nothing). */
export const seedsTried = 3;

export class BuildSeeds {
  constructor(private readonly dir: string) {}

  /** Notes that entry `key` holds a build of `family` from `files`. */
  async note(family: string, key: string, files: ReadonlyMap<string, string>): Promise<void> {
    await mkdir(join(this.dir, family), { recursive: true });
    await writeFileAtomic(
      join(this.dir, family, `${key}.json`),
      JSON.stringify({ files: Object.fromEntries(files) }),
    );
  }

  /** Forgets entry `key` of `family` (it is gone from the shared outputs). */
  async forget(family: string, key: string): Promise<void> {
    await rm(join(this.dir, family, `${key}.json`), { force: true });
  }

  /** The builds of `family` that may seed one from `files`, nearest first. */
  async nearest(family: string, files: ReadonlyMap<string, string>): Promise<SeedCandidate[]> {
    const names = await readdir(join(this.dir, family)).catch(() => [] as string[]);
    const candidates: SeedCandidate[] = [];
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const noted = await readFile(join(this.dir, family, name), "utf8")
        .then((text) => (JSON.parse(text) as { files?: Record<string, string> }).files)
        .catch(() => undefined);
      if (!noted) continue;
      const changed = distance(noted, files);
      if (changed !== undefined) candidates.push({ key: name.slice(0, -".json".length), changed });
    }
    return candidates.sort((a, b) => a.changed - b.changed);
  }
}

/** Files new or changed since `seed`; undefined when a file of `seed` is gone from `files`. */
export function distance(
  seed: Readonly<Record<string, string>>,
  files: ReadonlyMap<string, string>,
): number | undefined {
  for (const path of Object.keys(seed)) if (!files.has(path)) return undefined;
  let changed = 0;
  for (const [path, hash] of files) if (seed[path] !== hash) changed++;
  return changed;
}
