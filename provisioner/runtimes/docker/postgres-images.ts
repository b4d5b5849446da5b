/**
 * Which image a `postgres` service runs: the one named in the manifest (default `postgres:16`),
 * pulled if missing; if the default cannot be pulled (air-gapped, no registry), previewd's own
 * (postgres-image.ts), with its data directory initialised ahead of time for the service's
 * database (postgres-initialised-image.ts). One instance per docker runtime remembers what it
 * worked out, so that the next environment only asks the engine whether the image still exists:
 * building the local image's content hash reads ~1000 files and runs `ldd` (0.2 s idle, seconds
 * on a busy machine), and a pull that failed is not tried again for `pullRetryMs`.
 */
import type Docker from "dockerode";
import { ProvisionError, errorMessage } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { pullImage } from "./app-image.ts";
import { ensureInitialisedPostgresImage, initialisedRepository } from "./postgres-initialised-image.ts";
import { localPostgresImage } from "./postgres-image.ts";
import { imageExists } from "./rootfs-image.ts";
import type { WarmStarts } from "./warm-starts.ts";

export const defaultPostgresImage = "postgres:16";
const pullRetryMs = 10 * 60_000;

export interface PostgresImageRequest {
  /** The manifest's `image`, if any. */
  image?: string;
  service: string;
  user: string;
  database: string;
  signal: AbortSignal;
}

type PostgresWarmStarts = Pick<
  WarmStarts,
  "initialisedPostgres" | "postgresDataInContainer" | "rememberedImages"
>;

export class PostgresImages {
  readonly #docker: Docker;
  readonly #owner: string;
  readonly #logger: Logger;
  readonly #warm: PostgresWarmStarts;
  #pullFailedAt: number | undefined;
  /** The local image, and the initialised ones by user and database, as last found or built. */
  readonly #known = new Map<string, string>();

  constructor(docker: Docker, owner: string, logger: Logger, warm: PostgresWarmStarts) {
    this.#docker = docker;
    this.#owner = owner;
    this.#logger = logger;
    this.#warm = warm;
  }

  /** The image to run: present, pulled, or (for the default only) previewd's own. */
  async ensure(request: PostgresImageRequest): Promise<string> {
    const image = request.image ?? defaultPostgresImage;
    const local = image === defaultPostgresImage && this.#recentPullFailure();
    if (!local) {
      if (await imageExists(this.#docker, image)) return image;
      try {
        await pullImage(this.#docker, image, "services", request.service, request.signal);
        return image;
      } catch (error) {
        // Only the default falls back: a user who named an image gets that image or a clear error.
        if (image !== defaultPostgresImage) throw error;
        this.#pullFailedAt = Date.now();
        this.#logger.info(
          { image, reason: errorMessage(error) },
          "cannot pull postgres; using the embedded binaries",
        );
      }
    }
    const base = await this.#remembered("local", () => this.#local(image, request.service));
    if (!this.#warm.initialisedPostgres) return base;
    const { user, database } = request;
    try {
      return await this.#remembered(JSON.stringify([base, user, database]), () =>
        ensureInitialisedPostgresImage(this.#docker, { base, owner: this.#owner, user, database }),
      );
    } catch (error) {
      // Slower, not broken: the container runs initdb itself.
      this.#logger.warn({ image: base, err: error }, "cannot build an initialised Postgres image");
      return base;
    }
  }

  /** Whether a container of `image` keeps its data in its writable layer (postgres-container.ts). */
  dataInContainer(image: string): boolean {
    return this.#warm.postgresDataInContainer && image.startsWith(`${initialisedRepository}:`);
  }

  #recentPullFailure(): boolean {
    const at = this.#pullFailedAt;
    return this.#warm.rememberedImages && at !== undefined && Date.now() - at < pullRetryMs;
  }

  /** What `find` gave last time if that image still exists, else what it gives now. */
  async #remembered(key: string, find: () => Promise<string>): Promise<string> {
    const known = this.#warm.rememberedImages ? this.#known.get(key) : undefined;
    if (known !== undefined && (await imageExists(this.#docker, known))) return known;
    const found = await find();
    this.#known.set(key, found);
    return found;
  }

  async #local(image: string, service: string): Promise<string> {
    try {
      return await localPostgresImage(this.#docker, this.#owner);
    } catch (error) {
      throw new ProvisionError(
        `cannot pull ${image} and cannot build a local Postgres image: ${errorMessage(error)}`,
        "services",
        service,
        [],
        { cause: error },
      );
    }
  }
}
