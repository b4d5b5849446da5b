/**
 * A Node base image built locally, with no registry: a root filesystem of the host's `node`, its
 * shared libraries, `sh`, `env` and npm, imported once (cached by a hash of its inputs) and tagged
 * under the name the fixture Dockerfiles use (`FROM node:20-slim`), so the classic builder finds
 * it without pulling. With `npmCacheFor`, the image carries an npm cache holding everything that
 * lockfile needs and npm runs offline, so `RUN npm ci` works with no network in the build. With
 * `pnpm` (pnpm-offline.ts), it carries corepack, the pnpm that a `packageManager` names and a pnpm
 * store, so `corepack enable pnpm`, `pnpm fetch` and `pnpm install --offline` work the same way.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { ensureRootfsImage } from "../../provisioner/runtimes/docker/rootfs-image.ts";
import type { PnpmOffline } from "./pnpm-offline.ts";

const run = promisify(execFile);

export const testImageLabel = "dev.previewd.test-base";

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * An npm cache with every package `rootDir`'s lockfile names, filled once per lockfile by the
 * host's npm (the same registry access the process runtime's `npm ci` uses) and kept in tmpdir.
 */
export async function npmCacheFor(rootDir: string, workspaces: string[]): Promise<string> {
  const lock = await readFile(path.join(rootDir, "package-lock.json"));
  const key = createHash("sha256").update(lock).digest("hex").slice(0, 12);
  const cache = path.join(tmpdir(), `previewd-test-npm-cache-${key}`);
  if (await exists(path.join(cache, ".complete"))) return cache;
  const work = await mkdtemp(path.join(tmpdir(), "previewd-npm-fill-"));
  try {
    for (const file of ["package.json", "package-lock.json", ...workspaces.map((w) => `${w}/package.json`)]) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await cp(path.join(rootDir, file), path.join(work, file));
    }
    // Filled beside the final place and renamed into it: suites in parallel workers may race here.
    const fill = path.join(work, "cache");
    await run(
      "npm",
      ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", "--cache", fill],
      {
        cwd: work,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    await run("touch", [path.join(fill, ".complete")]);
    if (!(await exists(path.join(cache, ".complete")))) {
      await rm(cache, { recursive: true, force: true }); // An incomplete one left by a crash.
      await rename(fill, cache).catch(async () => {
        if (!(await exists(path.join(cache, ".complete")))) throw new Error(`could not fill ${cache}`);
      });
    }
    return cache;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export interface NodeBaseImageOptions {
  /** Names to tag the image as, e.g. `node:20-slim`. */
  tags: string[];
  /** An npm cache to bake in (npm then runs offline). */
  npmCache?: string;
  /** corepack with a pnpm and a pnpm store to bake in (pnpm then runs offline). */
  pnpm?: PnpmOffline;
}

/** Builds (unless cached) and tags the base image; returns its content-hash reference. */
export async function nodeBaseImage(docker: Docker, options: NodeBaseImageOptions): Promise<string> {
  const node = (await run("sh", ["-c", "command -v node"])).stdout.trim();
  const globalModules = (await run("npm", ["root", "-g"])).stdout.trim();
  const npmRoot = path.join(globalModules, "npm");
  const { pnpm } = options;
  const ref = await ensureRootfsImage(docker, {
    repository: "previewd-test-node",
    executables: [
      node === "/usr/bin/node" ? node : "/usr/bin/node",
      "/bin/sh",
      "/usr/bin/env",
      // pnpm's node_modules/.bin shims are shell scripts that call these.
      ...(pnpm ? ["/bin/sed", "/usr/bin/dirname", "/bin/uname"] : []),
    ],
    trees: [
      { from: npmRoot, to: "/usr/lib/node_modules/npm" },
      ...(options.npmCache ? [{ from: options.npmCache, to: "/root/.npm" }] : []),
      ...(pnpm
        ? [
            { from: path.join(globalModules, "corepack"), to: "/usr/lib/node_modules/corepack" },
            { from: pnpm.corepackHome, to: "/usr/local/share/corepack" },
            { from: pnpm.store, to: "/pnpm/store" },
          ]
        : []),
    ],
    ...(pnpm && { libraryUsers: pnpm.nativeAddons }),
    links: [
      { path: "/usr/bin/npm", target: "../lib/node_modules/npm/bin/npm-cli.js" },
      { path: "/usr/bin/npx", target: "../lib/node_modules/npm/bin/npx-cli.js" },
      ...(pnpm
        ? [{ path: "/usr/bin/corepack", target: "../lib/node_modules/corepack/dist/corepack.js" }]
        : []),
    ],
    files: [
      {
        path: "/etc/passwd",
        content: "root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n",
      },
      { path: "/etc/group", content: "root:x:0:\nnode:x:1000:\n" },
    ],
    dirs: [
      { path: "/tmp", mode: 0o1777 },
      { path: "/root", mode: 0o700 },
      { path: "/home/node", uid: 1000, gid: 1000 },
    ],
    changes: [
      "ENV PATH=/usr/local/bin:/usr/bin:/bin",
      ...(options.npmCache || pnpm
        ? [
            "ENV npm_config_offline=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false",
          ]
        : []),
      ...(pnpm
        ? [
            "ENV COREPACK_HOME=/usr/local/share/corepack COREPACK_ENABLE_NETWORK=0 COREPACK_ENABLE_DOWNLOAD_PROMPT=0 npm_config_store_dir=/pnpm/store",
          ]
        : []),
      'CMD ["node"]',
    ],
    labels: { [testImageLabel]: "true" },
  });
  for (const tag of options.tags) {
    const [repo = tag, version = "latest"] = tag.split(":");
    await docker.getImage(ref).tag({ repo, tag: version });
  }
  return ref;
}
