/**
 * The caches environments share, under one size cap (cache-budget.ts):
 *
 *     <cacheDir>/outputs/   install and build outputs, copied (shared-outputs.ts), and in
 *                           `.spares/` copies made ahead of them, counted in the cap too
 *     <cacheDir>/seeds/     which build outputs may seed a build of nearby inputs (build-seeds.ts)
 *     <stores>/             the package managers' stores (install-stores.ts): `<cacheDir>/stores`,
 *                           or as root `<root layout>/<owner>/stores`, where `previewd-run` reaches
 */
import { join } from "node:path";
import type { Logger } from "../../logger.ts";
import { CacheBudget, defaultCacheMaxBytes } from "./cache-budget.ts";
import type { InstallSharing } from "./install-key.ts";
import type { SharedInstalls } from "./install-step.ts";
import { BuildSeeds } from "./build-seeds.ts";
import { InstallStores } from "./install-stores.ts";
import { isRoot, ownerDir, rootHome } from "./postgres-home.ts";
import { SharedOutputs, sparesDir } from "./shared-outputs.ts";

export interface SharedCaches {
  outputs: SharedOutputs;
  seeds: BuildSeeds;
  installs: SharedInstalls;
}

export interface SharedCachesOptions {
  cacheDir: string;
  owner: string;
  logger: Logger;
  /** Default `package-manager` (install-key.ts). */
  sharing?: InstallSharing | undefined;
  /** Default 10 GiB. */
  maxBytes?: number | undefined;
}

export function sharedCaches(options: SharedCachesOptions): SharedCaches {
  const sharing = options.sharing ?? "package-manager";
  const outputs = join(options.cacheDir, "outputs");
  const stores = isRoot()
    ? join(ownerDir(rootHome, options.owner), "stores")
    : join(options.cacheDir, "stores");
  const budget = new CacheBudget(
    [outputs, sparesDir(outputs), stores],
    options.maxBytes ?? defaultCacheMaxBytes,
    (evicted) =>
      options.logger.info(evicted, "cache past its size cap: removed the least recently used entry"),
  );
  return {
    outputs: new SharedOutputs(outputs, 48, budget),
    seeds: new BuildSeeds(join(options.cacheDir, "seeds")),
    installs: {
      sharing,
      ...(sharing === "package-manager" && { stores: new InstallStores(stores, budget) }),
    },
  };
}
