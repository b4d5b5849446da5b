/**
 * examples/turbo-store (pnpm + turbo, two apps, three services) on the process runtime: previewd's
 * pipeline against the old way, in one process and run. Three steps, each timed both ways:
 * - cold create: a new data dir, so pnpm, the install and every build are fetched or run;
 * - a second branch changing one app (web): the install and the api's build are shared with the
 *   first environment, web builds (its VITE_API_URL is the new environment's);
 * - a one-app redeploy: a commit to the api, redeployed into the first environment.
 * "now": builds side by side, each app started once its own build and dependencies are ready, and
 * installs shared through pnpm's own store (PREVIEWD_PIPELINE=concurrent,
 * PREVIEWD_INSTALL_SHARING=package-manager, the defaults).
 * "old way": one build at a time, every build before any app, and installs shared as whole copies of
 * node_modules (PREVIEWD_PIPELINE=sequential, PREVIEWD_INSTALL_SHARING=full-copies).
 * Each way gets its own data dir and its own copy of the example repo in every round; the ways take
 * turns going first. Medians over the rounds.
 * Run: npm run bench:turbo-store [rounds, default 3]
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import { loadConfig } from "../provisioner/config.ts";
import type { EnvironmentEvent, EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { ownerIdOf } from "../provisioner/owner-id.ts";
import { startPreviewd } from "../provisioner/previewd.ts";
import { ownerDir, rootHome } from "../provisioner/runtimes/process/postgres-home.ts";
import type { PipelineMode } from "../provisioner/runtimes/deploy-schedule.ts";
import type { InstallSharing } from "../provisioner/runtimes/process/install-key.ts";
import { createExampleRepo } from "../test/helpers/example-repo.ts";
import { temporaryDataDir } from "../test/helpers/previewd-harness.ts";

interface Way {
  name: string;
  pipeline: PipelineMode;
  installSharing: InstallSharing;
}

const ways: Way[] = [
  { name: "old way", pipeline: "sequential", installSharing: "full-copies" },
  { name: "now", pipeline: "concurrent", installSharing: "package-manager" },
];
const rounds = Number(process.argv[2] ?? 3);
const steps = ["cold create", "second branch, web changed", "redeploy, api changed"] as const;
type Step = (typeof steps)[number];
type Timings = EnvironmentView["timings"];
/**
 * A way's timings per step, each cold build's duration (from its events), and the disk its caches
 * and two worktrees take after the three steps.
 */
type Run = Record<Step, Timings> & { diskMb: number; coldBuilds: Record<string, number> };

/** How long each app's build ran, from its `build` events (started to succeeded). */
function buildDurations(events: EnvironmentEvent[]): Record<string, number> {
  const started = new Map<string, number>();
  const durations: Record<string, number> = {};
  for (const event of events) {
    if (event.step !== "build" || !event.app) continue;
    if (event.status === "started") started.set(event.app, Date.parse(event.ts));
    if (event.status === "succeeded" && started.has(event.app))
      durations[event.app] = Date.parse(event.ts) - started.get(event.app)!;
  }
  return durations;
}

async function measure(way: Way): Promise<Run> {
  const repo = await createExampleRepo("turbo-store");
  await repo.commit(
    {
      "apps/web/index.html": (await repo.git("show", "HEAD:apps/web/index.html")).replace(
        "Turbo Store",
        "Turbo Books",
      ),
    },
    "web: rename the store",
    "web-change",
  );
  const dataDir = temporaryDataDir();
  const config = loadConfig(
    { dataDir, port: 0, pipeline: way.pipeline, installSharing: way.installSharing },
    {},
  );
  const previewd = await startPreviewd(config, { logger: silentLogger });
  const { orchestrator } = previewd;
  const settled = async (id: string, commit?: string): Promise<EnvironmentView> => {
    for (;;) {
      const env = await orchestrator.waitFor(id, ["ready", "failed"], 15 * 60_000);
      if (env.status === "failed") throw new Error(`${way.name}: ${id} failed: ${JSON.stringify(env.error)}`);
      if (!commit || env.commit === commit) return env;
      await orchestrator.idle();
    }
  };
  try {
    const cold = await orchestrator.create({ repo: repo.dir, ref: "main" });
    const first = await settled(cold.environment.id);
    const coldBuilds = buildDurations(orchestrator.events(first.id));
    const branch = await orchestrator.create({ repo: repo.dir, ref: "web-change" });
    const second = await settled(branch.environment.id);
    const commit = await repo.commit(
      { "apps/api/src/version.ts": 'export const apiVersion = "2";\n' },
      "api 2",
    );
    await orchestrator.redeploy(first.id);
    const redeployed = await settled(first.id, commit);
    // The outputs under the data dir (as root, pnpm's shared store sits in previewd's root layout)
    // and both environments' worktrees, in one `du`, which counts hard-linked files once.
    const places = [
      path.join(dataDir, "cache"),
      path.join(ownerDir(rootHome, ownerIdOf(dataDir)), "stores"),
      ...orchestrator.list().map((env) => orchestrator.record(env.id).worktreePath ?? ""),
    ];
    const du = execFileSync("du", ["-skc", ...places.filter((dir) => dir && existsSync(dir))], {
      encoding: "utf8",
    });
    return {
      coldBuilds,
      diskMb: Math.round(Number.parseInt(du.trim().split("\n").at(-1)!, 10) / 1024),
      "cold create": first.timings,
      "second branch, web changed": second.timings,
      "redeploy, api changed": redeployed.timings,
    };
  } finally {
    for (const env of orchestrator.list()) await orchestrator.delete(env.id).catch(() => undefined);
    await orchestrator.idle();
    await previewd.close();
    await rm(dataDir, { recursive: true, force: true });
    await repo.remove();
  }
}

const results = new Map<string, Run[]>(ways.map((way) => [way.name, []]));
for (let round = 0; round < rounds; round++) {
  for (const way of round % 2 === 0 ? ways : [...ways].reverse()) {
    const timings = await measure(way);
    results.get(way.name)!.push(timings);
    console.error(`round ${round + 1}, ${way.name}: ${steps.map((s) => timings[s].total).join(" / ")} ms`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
}
const phase = (way: string, step: Step, name: string) =>
  median(results.get(way)!.map((timings) => timings[step][name] ?? 0));

const phases = ["install", "build", "services", "release", "start", "seed", "total"];
console.log(`| step | way | ${phases.join(" | ")} |`);
console.log(`| --- | --- |${phases.map(() => " ---: |").join("")}`);
for (const step of steps) {
  for (const way of ways)
    console.log(`| ${step} | ${way.name} | ${phases.map((p) => phase(way.name, step, p)).join(" | ")} |`);
}
console.log("");
for (const way of ways) {
  const mb = median(results.get(way.name)!.map((r) => r.diskMb));
  console.log(`${way.name}: shared caches and both worktrees after the three steps: ${mb} MB`);
}
for (const way of ways) {
  const runs = results.get(way.name)!;
  const apps = Object.keys(runs[0]!.coldBuilds).sort();
  const builds = apps.map((app) => `${app} ${median(runs.map((r) => r.coldBuilds[app] ?? 0))}`);
  console.log(`${way.name}: cold builds, ms from start to end: ${builds.join(", ")}`);
}
for (const step of steps) {
  const ratio = phase("now", step, "total") / phase("old way", step, "total");
  console.log(`${step}: now / old way (total) ${ratio.toFixed(2)}`);
}
console.log(
  `median ms per phase of ${rounds} rounds; ${new Date().toISOString().slice(0, 10)}, ${process.version}, ${os.cpus().length} cores, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
