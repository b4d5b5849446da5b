/**
 * Switching seed scenarios of one running examples/shop environment, in one process:
 * - template reset (what previewd does): `POST …/scenario` for demo → big-catalog → empty, several
 *   rounds, back to back (the spare copies of the snapshot made after one switch may still be being
 *   made when the next one starts);
 * - the same after a 1 s pause, as an agent switches between looking at pages: the spares are ready
 *   and the reset is two renames; and, as its baseline, after the same pause with the spares dropped,
 *   so the reset clones the snapshot on demand (what previewd did before it kept a spare);
 * - baseline, same steps without the template: TRUNCATE every table (RESTART IDENTITY) and re-run them;
 * - baseline, re-provisioning: a new environment with the scenario (warm caches), create to ready.
 * Run: npm run bench:scenarios
 */
import { cpus } from "node:os";
import { rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { loadConfig } from "../provisioner/config.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { startPreviewd } from "../provisioner/previewd.ts";
import { resolveScenario } from "../seed-scenarios/load-scenario.ts";
import { directoryFiles } from "../seed-scenarios/scenario-files.ts";
import { runSteps } from "../seed-scenarios/run-steps.ts";
import { resetServices } from "../seed-scenarios/scenario-loader.ts";
import type { SeedTarget } from "../seed-scenarios/seed-target.ts";
import { temporaryDataDir } from "../test/helpers/previewd-harness.ts";
import { createShopRepo } from "../test/helpers/shop-repo.ts";

const rounds = Number(process.env.ROUNDS ?? 5);
const sequence = ["demo", "big-catalog", "empty"];
const repo = createShopRepo();
const dataDir = temporaryDataDir();
const previewd = await startPreviewd(loadConfig({ dataDir, port: 0 }, {}), { logger: silentLogger });
const { orchestrator } = previewd;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const time = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};

async function truncateAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'",
    );
    await client.query(`TRUNCATE ${rows.map((r) => r.name).join(", ")} RESTART IDENTITY CASCADE`);
  } finally {
    await client.end();
  }
}

/** Waits for the spare copies previewd makes after a switch, then drops them when `drop` is set. */
async function settleSpare(url: string, drop: boolean): Promise<void> {
  const admin = new URL(url);
  const spares = ["__previewd_spare", "__previewd_spare2"].map(
    (suffix) => `${admin.pathname.slice(1)}${suffix}`,
  );
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    for (let i = 0; i < 100; i++) {
      const found = await client.query("SELECT 1 FROM pg_database WHERE datname = ANY($1)", [spares]);
      if (found.rowCount === spares.length) break;
      await sleep(50);
    }
    for (const spare of spares) {
      if (drop) await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(spare)}`);
    }
  } finally {
    await client.end();
  }
}

const results: Record<string, Record<string, number[]>> = {
  template: {},
  paused: {},
  pausedNoSpare: {},
  truncate: {},
  reprovision: {},
};
const resets: { template: number[]; truncate: number[] } = { template: [], truncate: [] };
try {
  const created = await orchestrator.create({ repo, ref: "main" });
  const env = await orchestrator.waitFor(created.environment.id, ["ready", "failed"], 15 * 60_000);
  if (env.status !== "ready") throw new Error(`provisioning failed: ${JSON.stringify(env.error)}`);
  const record = orchestrator.record(env.id);
  const deployment = record.deployment!;
  const dbUrl = deployment.services.db!.url;
  const target: SeedTarget = {
    postgresServices: ["db"],
    redisServices: [],
    commandServices: [],
    sqlUrl: () => dbUrl,
    redisUrl: () => "redis://unused",
    restartService: () => Promise.reject(new Error("no command services in this benchmark")),
    appUrl: (app) => deployment.apps[app]!.directUrl,
    exec: () => Promise.reject(new Error("no command steps in this benchmark")),
  };
  const files = directoryFiles(repo);
  const scenarios = await Promise.all(sequence.map((name) => resolveScenario(name, record.manifest, files)));
  const signal = new AbortController().signal;

  const load = (name: string) =>
    time(async () => {
      const reply = await fetch(`${previewd.url}/v1/environments/${env.id}/scenario`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      if (reply.status !== 200) throw new Error(`${name}: ${reply.status} ${await reply.text()}`);
    });
  for (let round = 0; round < rounds; round++) {
    for (const name of sequence) (results.template![name] ??= []).push(await load(name));
    // Taking turns, so load on the machine hits both alike.
    for (const name of sequence) {
      await sleep(1_000);
      await settleSpare(dbUrl, false);
      (results.paused![name] ??= []).push(await load(name));
      await sleep(1_000);
      await settleSpare(dbUrl, true);
      (results.pausedNoSpare![name] ??= []).push(await load(name));
    }
    for (const scenario of scenarios) {
      const ms = await time(async () => {
        await truncateAll(dbUrl);
        await runSteps(scenario, target, { signal });
      });
      (results.truncate![scenario.name] ??= []).push(ms);
    }
    resets.template.push(await time(() => resetServices(target)));
    resets.truncate.push(await time(() => truncateAll(dbUrl)));
  }

  for (const name of sequence) {
    const ms = await time(async () => {
      const other = await orchestrator.create({ repo, ref: env.commit, scenario: name });
      const ready = await orchestrator.waitFor(other.environment.id, ["ready", "failed"], 15 * 60_000);
      if (ready.status !== "ready") throw new Error(`re-provisioning failed: ${JSON.stringify(ready.error)}`);
      await orchestrator.delete(other.environment.id);
      await orchestrator.waitForDeletion(other.environment.id, 60_000);
    });
    results.reprovision![name] = [ms];
  }
} finally {
  for (const env of orchestrator.list()) await orchestrator.delete(env.id);
  await orchestrator.idle();
  await previewd.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(repo, { recursive: true, force: true });
}

const fmt = (ms: number) => ms.toFixed(ms < 100 ? 1 : 0);
const cell = (kind: string, name: string) => median(results[kind]![name]!);
console.log(
  "| scenario | back to back (previewd) | after a pause (previewd) | after a pause, no spare (clone on demand) | no spare / previewd, paused | truncate + steps | re-provision (incl. delete) | re-provision / back to back |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const name of sequence) {
  const template = cell("template", name);
  const paused = cell("paused", name);
  const noSpare = cell("pausedNoSpare", name);
  const reprovision = cell("reprovision", name);
  console.log(
    `| ${name} | ${fmt(template)} | ${fmt(paused)} | ${fmt(noSpare)} | ${(noSpare / paused).toFixed(2)}× | ${fmt(cell("truncate", name))} | ${fmt(reprovision)} | ${(reprovision / template).toFixed(0)}× |`,
  );
}
const switchTotal = sequence.reduce((sum, name) => sum + cell("template", name), 0);
console.log(
  `\nreset alone (back to back): ${fmt(median(resets.template))} ms, truncate ${fmt(median(resets.truncate))} ms; ` +
    `one demo → big-catalog → empty cycle ${fmt(switchTotal)} ms`,
);
console.log(
  `ms, median of ${rounds} rounds (re-provision: 1 run each); ${new Date().toISOString().slice(0, 10)}, ${process.version}, ${cpus().length} cores`,
);
