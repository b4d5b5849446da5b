/**
 * examples/shop on previewd's docker runtime against `docker-compose up` of the equivalent
 * Compose file (bench/docker-vs-compose.compose.yaml), in the same run, on the same engine:
 * time until every app answers its health path through its published port. Cold: no app image
 * exists (both build the three Dockerfiles); warm: images exist (previewd finds them by content
 * hash; compose reuses its tags). Reported as previewd / compose.
 * Needs a Docker engine and docker-compose (Debian: apt-get install docker-compose). The Node base
 * image and Postgres come from local images (test/helpers/docker-base-image.ts and previewd's own
 * Postgres image), so no registry is used. Run: npm run bench:docker
 */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Docker from "dockerode";
import { loadConfig } from "../provisioner/config.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { startPreviewd } from "../provisioner/previewd.ts";
import { localPostgresImage } from "../provisioner/runtimes/docker/postgres-image.ts";
import { nodeBaseImage, npmCacheFor } from "../test/helpers/docker-base-image.ts";
import { temporaryDataDir } from "../test/helpers/previewd-harness.ts";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..");
const shop = path.join(repo, "examples/shop");
const composeFile = path.join(here, "docker-vs-compose.compose.yaml");
const project = "previewdbench";
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const health: Record<string, [number, string]> = {
  api: [3000, "/healthz"],
  web: [3001, "/healthz"],
  admin: [3002, "/healthz"],
};

async function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.status < 400,
    () => false,
  );
}

/** Removes the shop's app images of both contenders (and their build layers): the next build is cold. */
async function removeAppImages(): Promise<void> {
  for (const image of await docker.listImages()) {
    const tags = image.RepoTags ?? [];
    if (tags.some((t) => t.startsWith("previewd-shop-") || t.startsWith(`${project}_`)))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await docker.pruneImages({ filters: { dangling: { true: true } } }).catch(() => undefined);
}

async function compose(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return (
    await run("docker-compose", ["-p", project, "-f", composeFile, ...args], { env, maxBuffer: 64 << 20 })
  ).stdout;
}

async function composeUp(pgImage: string): Promise<number> {
  const env = { ...process.env, PG_IMAGE: pgImage, COMPOSE_DOCKER_CLI_BUILD: "0", DOCKER_BUILDKIT: "0" };
  const started = performance.now();
  await compose(["up", "-d", "--build"], env);
  for (const [app, [port, route]] of Object.entries(health)) {
    const published = (await compose(["port", app, String(port)], env)).trim().split(":").pop();
    while (!(await answers(`http://127.0.0.1:${published}${route}`)))
      await new Promise((r) => setTimeout(r, 100));
  }
  const ms = performance.now() - started;
  await compose(["down", "-v"], env);
  return ms;
}

/** Time to ready, and the environment's `timings` (ms per phase; build and services overlap). */
async function previewdUp(): Promise<{ ms: number; timings: Record<string, number> }> {
  const dataDir = temporaryDataDir();
  const previewd = await startPreviewd(loadConfig({ dataDir, port: 0 }, {}), { logger: silentLogger });
  try {
    const started = performance.now();
    const created = await previewd.orchestrator.create({
      repo,
      worktree: repo,
      dir: "examples/shop",
      runtime: "docker",
    });
    const env = await previewd.orchestrator.waitFor(created.environment.id, ["ready", "failed"], 15 * 60_000);
    if (env.status !== "ready") throw new Error(`previewd failed: ${JSON.stringify(env.error)}`);
    const ms = performance.now() - started;
    await previewd.orchestrator.delete(env.id);
    await previewd.orchestrator.idle();
    return { ms, timings: env.timings };
  } finally {
    await previewd.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await nodeBaseImage(docker, {
  tags: ["node:20-slim"],
  npmCache: await npmCacheFor(shop, ["apps/api", "apps/web", "apps/admin", "packages/shared"]),
});
const pgImage = await localPostgresImage(docker, "bench");

const rows: [string, number, number][] = [];
await removeAppImages();
const coldCompose = await composeUp(pgImage);
await removeAppImages();
const coldPreviewd = await previewdUp();
rows.push(["cold (three image builds)", coldPreviewd.ms, coldCompose]);
const warmCompose = await composeUp(pgImage);
const warmPreviewd = await previewdUp();
rows.push(["warm (images exist)", warmPreviewd.ms, warmCompose]);

console.log("| run | previewd docker runtime (ms) | docker-compose up (ms) | previewd / compose |");
console.log("|---|---:|---:|---:|");
for (const [name, ours, theirs] of rows)
  console.log(`| ${name} | ${Math.round(ours)} | ${Math.round(theirs)} | ${(ours / theirs).toFixed(2)} |`);
for (const [name, run] of [
  ["cold", coldPreviewd],
  ["warm", warmPreviewd],
] as const)
  console.log(`previewd ${name} timings (ms): ${JSON.stringify(run.timings)}`);
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${process.version}, ${os.cpus().length} cores, docker-compose ${(await run("docker-compose", ["version", "--short"])).stdout.trim()}`,
);
