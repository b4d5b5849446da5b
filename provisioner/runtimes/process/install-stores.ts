/**
 * The package managers' own stores, shared by every environment of this previewd: pnpm's
 * content-addressed store (packages hard-linked into each node_modules, as pnpm does on any
 * machine), yarn berry's global cache, yarn classic's and npm's caches. An install then downloads
 * only what no environment downloaded before, and pnpm links rather than copies.
 *
 *     <dir>/<manager>/store/       what the package manager keeps (its store-dir, cache folder…)
 *     <dir>/<manager>/installed/   one empty file per install key it installed, to say so
 *
 * Each `<dir>/<manager>` is one entry of the cache budget (cache-budget.ts): in use while an
 * install runs, evicted whole when least recently used. Evicting pnpm's store frees its space once
 * the worktrees that link its files are gone; they keep working meanwhile. yarn berry's
 * Plug'n'Play reads packages from its cache at run time, so such projects keep their cache in the
 * environment's own home, as before.
 *
 * Root: `<root layout>/<owner>/stores`, each store owned by the user the commands run as
 * (child-identity.ts). In-place worktrees (the caller's own) use the caller's own settings.
 */
import { chown, mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Mutex } from "async-mutex";
import { exists } from "../../sources/fs-checks.ts";
import type { CacheBudget } from "./cache-budget.ts";
import type { ChildIdentity } from "./child-identity.ts";
import type { PackageManager } from "./package-manager.ts";
import { isRoot, rootHome, traversableDirs } from "./postgres-home.ts";

export interface StoreUse {
  /** The manager's name in the stores folder (`pnpm`, `yarn-berry`, …). */
  name: string;
  /**
   * What an install command runs with. Asked for only by an install that runs: the store may grow,
   * so the cap is enforced once it is done (a copied install leaves the store as it was).
   */
  variables(): Record<string, string>;
  /** Whether another install of `key` filled this store before. */
  installedBefore(key: string): Promise<boolean>;
  /** Remembers that `key` was installed from this store. */
  installed(key: string): Promise<void>;
}

export class InstallStores {
  /** yarn classic's cache is not safe for two installs at once; the others are. */
  readonly #locks = new Map<string, Mutex>();

  constructor(
    private readonly dir: string,
    private readonly budget?: CacheBudget,
  ) {}

  /**
   * Runs `install` with the store for `manager`, held in use meanwhile; without one (a manager
   * with no store to share, yarn's Plug'n'Play) with undefined.
   */
  async use<T>(
    manager: PackageManager,
    identity: Pick<ChildIdentity, "uid" | "gid"> | undefined,
    install: (store: StoreUse | undefined) => Promise<T>,
  ): Promise<T> {
    const layout = storeLayout(manager);
    if (!layout) return install(undefined);
    const entry = join(this.dir, layout.name);
    const store = join(entry, "store");
    let ran = false;
    const held = async () => {
      await this.#prepare(entry, identity);
      const now = new Date();
      await utimes(entry, now, now).catch(() => undefined); // Recently used: evicted last.
      const marker = (key: string) => join(entry, "installed", key);
      return install({
        name: layout.name,
        variables: () => {
          ran = true;
          return layout.variables(store);
        },
        installedBefore: (key) => exists(marker(key)),
        installed: async (key) => {
          await mkdir(join(entry, "installed"), { recursive: true });
          await writeFile(marker(key), "");
        },
      });
    };
    const withLock = layout.exclusive ? () => this.#lock(layout.name).runExclusive(held) : held;
    if (!this.budget) return withLock();
    const result = await this.budget.use(entry, withLock);
    if (ran) await this.budget.enforce(); // The store grew: past the cap, what was used least goes.
    return result;
  }

  #lock(name: string): Mutex {
    let lock = this.#locks.get(name);
    if (!lock) this.#locks.set(name, (lock = new Mutex()));
    return lock;
  }

  async #prepare(entry: string, identity: Pick<ChildIdentity, "uid" | "gid"> | undefined): Promise<void> {
    if (isRoot() && entry.startsWith(`${rootHome}/`)) await traversableDirs(rootHome, entry);
    else await mkdir(entry, { recursive: true });
    await mkdir(join(entry, "store"), { recursive: true });
    await mkdir(join(entry, "installed"), { recursive: true });
    // The user the install runs as writes the store; only previewd writes the markers.
    if (identity) await chown(join(entry, "store"), identity.uid, identity.gid);
  }
}

interface StoreLayout {
  name: string;
  variables(store: string): Record<string, string>;
  exclusive?: boolean;
}

function storeLayout(manager: PackageManager): StoreLayout | undefined {
  switch (manager.name) {
    case "pnpm":
      // pnpm up to 10 reads npm_config_*; later ones pnpm_config_*.
      return {
        name: "pnpm",
        variables: (store) => ({ npm_config_store_dir: store, pnpm_config_store_dir: store }),
      };
    case "yarn":
      if (manager.plugAndPlay) return undefined;
      // Only the global folder: a project that commits its cache (enableGlobalCache: false) keeps it.
      if (manager.berry) return { name: "yarn-berry", variables: (store) => ({ YARN_GLOBAL_FOLDER: store }) };
      return { name: "yarn-classic", variables: (store) => ({ YARN_CACHE_FOLDER: store }), exclusive: true };
    case "npm":
      return { name: "npm", variables: (store) => ({ npm_config_cache: store }) };
    case "bun":
      return { name: "bun", variables: (store) => ({ BUN_INSTALL_CACHE_DIR: store }) };
  }
}

/** Whether installs with `manager` share through its store and run every time (no copies). */
export function linksFromStore(manager: PackageManager | undefined): boolean {
  return manager?.name === "pnpm" || (manager?.name === "yarn" && !manager.plugAndPlay);
}
