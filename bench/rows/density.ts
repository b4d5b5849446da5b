/**
 * How many examples/shop environments run at once on this machine (process runtime), all
 * healthy, with previewd answering /healthz quickly while they start and while they run; what
 * each costs in memory (PSS of its processes). Browsers start on demand (PREVIEWD_MAX_BROWSERS),
 * so none runs here. One `previewd serve` of its own; one branch per environment, all of the same
 * commit, asked for at once. Beside /healthz, what tells its causes apart: previewd's own
 * event-loop delay (its work blocking the loop) and the share of the time its main thread waited
 * for a core (the machine starving it).
 */
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { EnvironmentView } from "../../provisioner/environments/environment-schema.ts";
import { ownerIdOf } from "../../provisioner/owner-id.ts";
import type { BenchContext, BenchFigure } from "../bench-table.ts";
import { createShopRepo } from "../../test/helpers/shop-repo.ts";
import { environmentMemory } from "../load/environment-memory.ts";
import { sampleHealth } from "../load/health-sampler.ts";
import { median } from "../load/latency-summary.ts";
import { servePreviewd } from "../load/previewd-serve.ts";
import { scrapeLoopDelay, type LoopDelay } from "../load/event-loop-delay.ts";
import { clockSince, readProcessClock, type ClockSpan } from "../load/process-clock.ts";

const healthy = (env: EnvironmentView) =>
  env.status === "ready" && Object.values(env.apps).every((app) => app.status === "healthy");

export default async function densityRow(ctx: BenchContext): Promise<BenchFigure[]> {
  const count = ctx.quick ? 5 : 20;
  const runningSeconds = ctx.quick ? 5 : 15;
  const repo = createShopRepo();
  for (let n = 0; n < count; n++) execFileSync("git", ["-C", repo, "branch", `density-${n}`]);
  const previewd = await servePreviewd();
  const sampler = sampleHealth(previewd.url);
  const pid = previewd.process.pid!;
  const causes = (loop: LoopDelay, clock: ClockSpan) =>
    `previewd's event-loop delay p99 ${loop.p99Ms.toFixed(0)} ms, max ${loop.maxMs.toFixed(0)} ms; its main thread waited for a core ${(100 * clock.waitShare).toFixed(0)}% of the time, CPU ${(clock.cpuMs / clock.wallMs).toFixed(2)} cores`;
  try {
    await scrapeLoopDelay(previewd.url);
    let clock = readProcessClock(pid);
    const began = performance.now();
    const asked = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        previewd.api<EnvironmentView>("POST", "/v1/environments", { repo, ref: `density-${n}` }),
      ),
    );
    const ids = asked.map((reply) => {
      if (reply.status !== 201)
        throw new Error(`create answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      return reply.body.id;
    });
    let list: EnvironmentView[] = [];
    for (;;) {
      list = (await previewd.api<EnvironmentView[]>("GET", "/v1/environments")).body;
      const settled = list.filter((env) => env.status === "ready" || env.status === "failed");
      if (settled.length === ids.length) break;
      if (performance.now() - began > 30 * 60_000)
        throw new Error("environments not settled after 30 minutes");
      await sleep(500);
    }
    const startSeconds = (performance.now() - began) / 1000;
    const starting = sampler.take();
    const startingCauses = causes(await scrapeLoopDelay(previewd.url), clockSince(pid, clock));
    clock = readProcessClock(pid);
    ctx.log(
      `${count} environments settled in ${startSeconds.toFixed(0)} s; /healthz p99 ${starting.p99.toFixed(1)} ms meanwhile; ${startingCauses}`,
    );

    await sleep(runningSeconds * 1000);
    const running = sampler.take();
    const runningCauses = causes(await scrapeLoopDelay(previewd.url), clockSince(pid, clock));
    ctx.log(`while they ran: /healthz p99 ${running.p99.toFixed(1)} ms; ${runningCauses}`);
    list = (await previewd.api<EnvironmentView[]>("GET", "/v1/environments")).body;
    const alive = list.filter(healthy).length;
    const failed = list
      .filter((env) => !healthy(env))
      .map((env) => `${env.id}: ${env.status} ${env.error?.message ?? ""}`);
    const memory = await environmentMemory(ownerIdOf(previewd.dataDir));
    const perEnvironment = median([...memory.perEnvironment.values()]);
    const roles = [...memory.perRole.entries()]
      .map(([role, mib]) => `${role} ${(mib / memory.perEnvironment.size).toFixed(1)}`)
      .join(", ");
    ctx.log(`${alive} of ${count} healthy; PSS per environment ${perEnvironment.toFixed(1)} MiB (${roles})`);
    if (failed.length > 0) ctx.log(`not healthy: ${failed.join("; ")}`);

    return [
      {
        figure: `environments of the shop alive at once, all healthy${ctx.quick ? " (quick: 5 asked)" : ""}`,
        target: "≥ 20",
        value: alive,
        unit: "environments",
        met: alive >= count && alive >= (ctx.quick ? 5 : 20),
        note: `${count} asked for at once, settled in ${startSeconds.toFixed(0)} s; browsers on demand (none running)${failed.length > 0 ? `; not healthy: ${failed[0]}` : ""}`,
      },
      {
        figure: `previewd /healthz p99 while ${count} environments run`,
        target: "< 100 ms",
        value: running.p99,
        unit: "ms",
        met: running.p99 < 100 && running.failures === 0,
        note: `p50 ${running.p50.toFixed(1)} ms, max ${running.max.toFixed(0)} ms over ${running.count} requests in ${runningSeconds} s; ${runningCauses}; while they started: p50 ${starting.p50.toFixed(1)} ms, p99 ${starting.p99.toFixed(0)} ms, max ${starting.max.toFixed(0)} ms, ${starting.failures} failed, ${startingCauses}`,
      },
      {
        figure: "PSS per environment of the shop, without a browser",
        target: "report",
        value: perEnvironment,
        unit: "MiB",
        met: true,
        note: `median over ${memory.perEnvironment.size} environments; by role, MiB each: ${roles}`,
      },
    ];
  } finally {
    await sampler.stop();
    await previewd.close();
  }
}
