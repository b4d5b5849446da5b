/**
 * A Postgres image whose data directory is already initialised (initdb run, the database
 * created), so that a new environment's Postgres skips initdb (~1.5 s) and starts in a fraction
 * of that. Built from previewd's local image (postgres-image.ts) by running its entrypoint's
 * initialise mode in a container and committing it; tagged by a hash of the base image's tag
 * (itself a hash of the binaries and entrypoint), the user and the database, so it is built once
 * per such set and anew when any of them changes. It holds no application schema: migrations run
 * in each environment as before. Each container still gets its own data (its new volume is filled
 * from the image on first mount) and its own password (set at its first start; the one the image
 * was built with is random and thrown away).
 */
import { createHash, randomBytes } from "node:crypto";
import type Docker from "dockerode";
import { ProvisionError } from "../../errors.ts";
import { ignoreGone } from "./docker-engine.ts";
import { labelsOf } from "./docker-labels.ts";
import { initialiseCommand } from "./postgres-image.ts";
import { imageExists } from "./rootfs-image.ts";
import { createOwnedContainer } from "./run-container.ts";

export const initialisedRepository = "previewd-postgres-initialised";

export interface InitialisedImageOptions {
  /** The local image it is built from (its tag is its content hash). */
  base: string;
  owner: string;
  user: string;
  database: string;
}

/** `previewd-postgres-initialised:<hash of base, user, database>`. */
export function initialisedImageRef(options: Omit<InitialisedImageOptions, "owner">): string {
  const { base, user, database } = options;
  const hash = createHash("sha256").update(JSON.stringify({ base, user, database })).digest("hex");
  return `${initialisedRepository}:${hash.slice(0, 16)}`;
}

const building = new Map<string, Promise<string>>();

/** The initialised image's reference, built first unless it exists. */
export async function ensureInitialisedPostgresImage(
  docker: Docker,
  options: InitialisedImageOptions,
): Promise<string> {
  const ref = initialisedImageRef(options);
  if (await imageExists(docker, ref)) return ref;
  let pending = building.get(ref);
  if (!pending) {
    pending = build(docker, options, ref).finally(() => building.delete(ref));
    building.set(ref, pending);
  }
  return pending;
}

async function build(docker: Docker, options: InitialisedImageOptions, ref: string): Promise<string> {
  const [repo, tag] = ref.split(":") as [string, string];
  const container = await createOwnedContainer(docker, {
    // One name per image: a container left by an interrupted build of ours is replaced.
    name: `previewd-postgres-initialise-${tag}`,
    Image: options.base,
    Cmd: [initialiseCommand],
    Env: [
      `POSTGRES_USER=${options.user}`,
      `POSTGRES_PASSWORD=${randomBytes(18).toString("base64url")}`,
      `POSTGRES_DB=${options.database}`,
    ],
    Labels: labelsOf({ owner: options.owner, role: "image", name: "postgres" }),
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    const { StatusCode: exitCode } = (await container.wait()) as { StatusCode: number };
    if (exitCode !== 0) {
      const output = frames((await container.logs({ stdout: true, stderr: true })) as Buffer);
      throw new ProvisionError(
        `initialising a Postgres data directory in ${options.base} exited with code ${exitCode}`,
        "services",
        undefined,
        output.split("\n").slice(-20),
      );
    }
    // The run's password goes from the image's settings; each container brings its own.
    await container.commit({ repo, tag, changes: ['CMD ["postgres"]', "ENV POSTGRES_PASSWORD="] });
    return ref;
  } finally {
    await ignoreGone(container.remove({ force: true, v: true }));
  }
}

/** The text of a container's log without a TTY: frames of an 8-byte header and a payload. */
function frames(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length;) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString("utf8").trimEnd();
}
