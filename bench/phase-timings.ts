/**
 * Per-phase provisioning timings of examples/shop on the process runtime, in one process:
 * cold (a new data dir: first install and builds), warm redeploy (nothing changed: install and
 * builds skipped, no restarts), a second environment of the same commit (install and builds copied
 * from the first, Postgres copied from an initialised template), and the baseline for it: a third
 * environment of that commit after previewd's caches are removed, so it installs, builds and runs
 * initdb on its own.
 * Run: npm run bench:timings
 */
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../provisioner/config.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { startPreviewd } from "../provisioner/previewd.ts";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { temporaryDataDir } from "../test/helpers/previewd-harness.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = temporaryDataDir();
const previewd = await startPreviewd(loadConfig({ dataDir, port: 0 }, {}), { logger: silentLogger });
const { orchestrator } = previewd;

async function ready(id: string): Promise<EnvironmentView> {
  const env = await orchestrator.waitFor(id, ["ready", "failed"], 15 * 60_000);
  if (env.status !== "ready") throw new Error(`${id} failed: ${JSON.stringify(env.error)}`);
  return env;
}

const rows: [string, EnvironmentView["timings"]][] = [];
try {
  const cold = await orchestrator.create({ repo, dir: "examples/shop" });
  rows.push(["cold: first environment", (await ready(cold.environment.id)).timings]);

  await orchestrator.redeploy(cold.environment.id);
  await orchestrator.idle();
  rows.push(["warm: redeploy, nothing changed", (await ready(cold.environment.id)).timings]);

  const head = (await ready(cold.environment.id)).commit;
  const second = await orchestrator.create({ repo, dir: "examples/shop", ref: head });
  rows.push(["warm: second environment, same commit", (await ready(second.environment.id)).timings]);

  await rm(path.join(dataDir, "cache"), { recursive: true, force: true });
  const third = await orchestrator.create({ repo, dir: "examples/shop", ref: head.slice(0, 12) });
  rows.push(["baseline: same, nothing shared", (await ready(third.environment.id)).timings]);
} finally {
  for (const env of orchestrator.list()) await orchestrator.delete(env.id);
  await orchestrator.idle();
  await previewd.close();
  await rm(dataDir, { recursive: true, force: true });
}

const phases = ["worktree", "install", "build", "services", "start", "total"];
console.log(`| run | ${phases.join(" | ")} |`);
console.log(`|---|${phases.map(() => "---:").join("|")}|`);
for (const [name, timings] of rows)
  console.log(`| ${name} | ${phases.map((p) => timings[p] ?? 0).join(" | ")} |`);
const total = (name: string) => rows.find(([row]) => row.startsWith(name))?.[1].total ?? NaN;
console.log(
  `\nsecond environment / baseline (total): ${(total("warm: second") / total("baseline")).toFixed(2)}`,
);
console.log(
  `ms per phase; ${new Date().toISOString().slice(0, 10)}, ${process.version}, ${os.cpus().length} cores`,
);
