/**
 * The docker runtime's warm-start shortcuts, each on unless turned off: bench/rows/docker-warm.ts
 * turns them off to measure, in the same run, what each one saves.
 */
export const warmStartNames = [
  "initialisedPostgres",
  "postgresDataInContainer",
  "rememberedImages",
  "precreatedContainers",
  "heldStarts",
  "parallelStarts",
] as const;
export type WarmStartName = (typeof warmStartNames)[number];

/**
 * - `initialisedPostgres`: Postgres runs from an image whose data directory is initialised
 *   (postgres-initialised-image.ts) instead of running initdb in every new container.
 * - `postgresDataInContainer`: a Postgres container from the initialised image keeps its data in
 *   its own writable layer (copied on write, file by file) instead of a new volume, which the
 *   engine fills with a copy of the image's whole data directory (~40 MB) before the first start.
 * - `rememberedImages`: which Postgres image a service runs is worked out once per previewd, then
 *   only checked for (postgres-images.ts).
 * - `precreatedContainers`: an app's container is created while what it depends on starts, and
 *   only started once that is ready (app-precreation.ts).
 * - `heldStarts`: with `precreatedContainers`, that container is also started ahead, its process
 *   held (a shell waiting for a line on its stdin) until what it depends on is healthy; its start
 *   is then a write through an attach, not a `docker start` (held-start.ts).
 * - `parallelStarts`: the containers of one environment start side by side, not one at a time
 *   (network-aliases.ts); only an app taking its name over from its old container waits.
 */
export type WarmStarts = Record<WarmStartName, boolean>;

export function warmStarts(off: readonly WarmStartName[] = []): WarmStarts {
  return Object.fromEntries(warmStartNames.map((name) => [name, !off.includes(name)])) as WarmStarts;
}
