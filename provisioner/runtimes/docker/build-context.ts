/**
 * An app's Docker build context: the files under `context` that `.dockerignore` keeps (matched
 * with @balena/dockerignore, a port of Docker's own matcher), their content hash, and a tar
 * stream of them for the engine's classic builder.
 */
import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join, posix, relative, resolve, sep } from "node:path";
import dockerignoreModule from "@balena/dockerignore";
import { directoryPaths, OutsideMonorepoError } from "../../manifest/monorepo-paths.ts";
import { dockerfileSteps } from "./dockerfile-steps.ts";
import type { TarEntry } from "./tar-pack.ts";

export interface BuildContext {
  /** Entries in archive order (directories before their contents). */
  entries: TarEntry[];
  /** The Dockerfile's path inside the archive. */
  dockerfile: string;
  /** Hash of the Dockerfile, the build args and every kept (and counted) file's path, mode and content. */
  hash: string;
  /** The Dockerfile's instructions, one per build step. */
  steps: string[];
}

type Factory = typeof dockerignoreModule.default;
// A CommonJS module whose typings declare an ES default export: take whichever exists.
const dockerignore = ((dockerignoreModule as unknown as { default?: Factory }).default ??
  dockerignoreModule) as unknown as Factory;

/** Where the Dockerfile goes when it lies outside the context or `.dockerignore` drops it. */
const outsideDockerfile = ".previewd.Dockerfile";

export interface BuildContextOptions {
  contextDir: string;
  dockerfilePath: string;
  /**
   * The monorepo root: the context and the Dockerfile must lead inside it, symlinks followed
   * (create already checked the manifest; this keeps the runtime from trusting that alone).
   */
  rootDir?: string;
  buildArgs?: Record<string, string>;
  /** Only files this accepts (paths relative to the context) count for the hash; all are sent. */
  hashes?: (file: string) => boolean;
}

export async function buildContext(options: BuildContextOptions): Promise<BuildContext> {
  if (options.rootDir !== undefined)
    await assertInside(options.rootDir, options.contextDir, options.dockerfilePath);
  const contextDir = resolve(options.contextDir);
  const ignoreText = await readFile(join(contextDir, ".dockerignore"), "utf8").catch(() => "");
  const matcher = dockerignore({ ignorecase: false }).add(ignoreText);
  // Without "!" exceptions an ignored directory can be skipped whole (node_modules is large).
  const hasExceptions = ignoreText.split("\n").some((line) => line.trim().startsWith("!"));
  const counts = options.hashes ?? (() => true);
  const entries: TarEntry[] = [];
  const hash = createHash("sha256");
  const walk = async (dir: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const full = join(dir, name);
      const rel = relative(contextDir, full).split(sep).join(posix.sep);
      const info = await lstat(full);
      const ignored = matcher.ignores(rel);
      if (info.isDirectory()) {
        if (ignored && !hasExceptions) continue;
        if (!ignored) entries.push({ name: rel, type: "dir", mode: info.mode & 0o7777 });
        await walk(full);
        continue;
      }
      if (ignored) continue;
      if (info.isSymbolicLink()) {
        // Packed as a link, never followed: a link to /etc/shadow sends a link, not the file.
        const target = await readlink(full);
        entries.push({ name: rel, type: "symlink", target });
        if (counts(rel)) hash.update(`\0l\0${rel}\0${target}`);
      } else if (info.isFile()) {
        const mode = info.mode & 0o7777;
        entries.push({ name: rel, type: "file", source: full, size: info.size, mode });
        if (counts(rel))
          hash.update(`\0f\0${rel}\0${mode & 0o111 ? "x" : "-"}\0`).update(await readFile(full));
      }
    }
  };
  await walk(contextDir);

  const dockerfileFull = resolve(options.dockerfilePath);
  const dockerfileContent = await readFile(dockerfileFull);
  const inContext = relative(contextDir, dockerfileFull).split(sep).join(posix.sep);
  const kept = entries.some((e) => e.name === inContext);
  let dockerfile = inContext;
  if (!kept || inContext.startsWith("..")) {
    dockerfile = outsideDockerfile;
    entries.push({ name: outsideDockerfile, type: "content", content: dockerfileContent });
  }
  hash.update("\0dockerfile\0").update(dockerfileContent);
  hash.update(`\0args\0${JSON.stringify(Object.entries(options.buildArgs ?? {}).sort())}`);
  return {
    entries,
    dockerfile,
    hash: hash.digest("hex"),
    steps: dockerfileSteps(dockerfileContent.toString()),
  };
}

async function assertInside(rootDir: string, contextDir: string, dockerfilePath: string): Promise<void> {
  const paths = directoryPaths(rootDir);
  for (const [what, full] of [
    ["build context", contextDir],
    ["Dockerfile", dockerfilePath],
  ] as const) {
    const file = relative(resolve(rootDir), resolve(full)).split(sep).join(posix.sep) || ".";
    const resolution = await paths.resolve(file);
    if (!resolution.inside) throw new OutsideMonorepoError(file, `${what} ${file} ${resolution.message}`);
  }
}
