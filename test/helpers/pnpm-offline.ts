/**
 * What a docker build of a pnpm workspace needs when it has no registry: pnpm itself (corepack's
 * cache of the version `packageManager` names) and a pnpm store holding every package the lockfile
 * names. The host fills both once per lockfile, with the same registry access the process runtime's
 * install uses, into tmpdir; `nodeBaseImage` bakes them in, so `corepack enable pnpm`, `pnpm fetch`
 * and `pnpm install --offline` in a Dockerfile find everything there.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PnpmOffline {
  /** A COREPACK_HOME holding the pnpm that `packageManager` names. */
  corepackHome: string;
  /** A pnpm store-dir with every package of the lockfile. */
  store: string;
  /** Native addons the install brought (their shared libraries must be in the image). */
  nativeAddons: string[];
}

const inputs = ["package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml"];

/** Every package.json of the workspace, relative to `rootDir` (outside node_modules and build output). */
async function packageManifests(rootDir: string, dir = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(rootDir, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory() && !["node_modules", "dist", ".turbo", ".git"].includes(entry.name)) {
      found.push(...(await packageManifests(rootDir, relative)));
    } else if (entry.isFile() && entry.name === "package.json") found.push(relative);
  }
  return found;
}

async function nativeAddons(dir: string): Promise<string[]> {
  const { stdout } = await run("find", [dir, "-name", "*.node", "-type", "f"], { maxBuffer: 16 << 20 });
  return stdout.split("\n").filter(Boolean).sort();
}

export async function pnpmOfflineFor(rootDir: string): Promise<PnpmOffline> {
  const hash = createHash("sha256");
  for (const file of inputs) hash.update(await readFile(path.join(rootDir, file))).update("\0");
  const dir = path.join(tmpdir(), `previewd-test-pnpm-${hash.digest("hex").slice(0, 12)}`);
  const done = path.join(dir, "offline.json");
  const read = async () => JSON.parse(await readFile(done, "utf8")) as PnpmOffline;
  if (
    await stat(done).then(
      () => true,
      () => false,
    )
  )
    return read();

  // Filled beside the final place and renamed into it: suites in parallel workers may race here.
  const fill = await mkdtemp(`${dir}.fill-`);
  try {
    const work = path.join(fill, "work");
    for (const file of [...inputs, ...(await packageManifests(rootDir))]) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await cp(path.join(rootDir, file), path.join(work, file));
    }
    const env = {
      ...process.env,
      COREPACK_HOME: path.join(fill, "corepack"),
      COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
      // This host's corepack rejects the registry's signing keys (issue 12); the image never downloads.
      COREPACK_INTEGRITY_KEYS: "0",
      npm_config_store_dir: path.join(fill, "store"),
    };
    const options = { cwd: work, env, maxBuffer: 64 << 20 };
    await run("corepack", ["install"], options);
    await run("corepack", ["pnpm", "fetch"], options);
    // An offline install from that store, only to find the native addons it brings.
    await run("corepack", ["pnpm", "install", "--offline", "--frozen-lockfile", "--ignore-scripts"], options);
    const final = (file: string) => path.join(dir, path.relative(fill, file));
    const offline: PnpmOffline = {
      corepackHome: final(env.COREPACK_HOME),
      store: final(env.npm_config_store_dir),
      nativeAddons: (await nativeAddons(work)).map(final),
    };
    await writeFile(path.join(fill, "offline.json"), JSON.stringify(offline));
    await rename(fill, dir).catch(async (error: NodeJS.ErrnoException) => {
      if (!["EEXIST", "ENOTEMPTY"].includes(error.code ?? "")) throw error;
    });
    return read();
  } finally {
    await rm(fill, { recursive: true, force: true });
  }
}
