/**
 * The one `node:20-slim` that the examples' Dockerfiles build on in tests: it carries the shop's npm
 * cache and turbo-store's pnpm with its store. Every docker suite of an example tags this same image,
 * so suites running at once in parallel workers never move the tag under each other's builds.
 */
import path from "node:path";
import type Docker from "dockerode";
import { nodeBaseImage, npmCacheFor } from "./docker-base-image.ts";
import { pnpmOfflineFor } from "./pnpm-offline.ts";
import { repoRoot } from "./serve-process.ts";

const examples = path.join(repoRoot, "examples");

export async function examplesNodeImage(docker: Docker): Promise<string> {
  const npmCache = await npmCacheFor(path.join(examples, "shop"), [
    "apps/api",
    "apps/web",
    "apps/admin",
    "packages/shared",
  ]);
  const pnpm = await pnpmOfflineFor(path.join(examples, "turbo-store"));
  return nodeBaseImage(docker, { tags: ["node:20-slim"], npmCache, pnpm });
}
