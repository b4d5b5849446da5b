/**
 * Where a service that runs as the environment's user (child-identity.ts) keeps its files: Redis'
 * append-only file. Not root: `<env data dir>/services/<name>`, beside the Postgres clusters. Root:
 * the data dir is root's alone, so beside them in the root layout
 * (`<owner>/environments/<env>/<name>`, postgres-home.ts), owned by that user. Either place goes
 * with the environment.
 */
import { chown, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { ChildIdentity } from "./child-identity.ts";
import { isRoot, ownerDir, rootHome, servicesDir, traversableDirs } from "./postgres-home.ts";

export async function serviceDataDir(options: {
  owner: string;
  envId: string;
  envDataDir: string;
  name: string;
  identity: ChildIdentity | undefined;
  home?: string;
}): Promise<string> {
  const { identity } = options;
  if (!isRoot()) {
    const dir = join(servicesDir(options.envDataDir), options.name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }
  const home = options.home ?? rootHome;
  const envDir = join(ownerDir(home, options.owner), "environments", options.envId);
  await traversableDirs(home, envDir);
  const dir = join(envDir, options.name);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (identity) await chown(dir, identity.uid, identity.gid);
  return dir;
}
