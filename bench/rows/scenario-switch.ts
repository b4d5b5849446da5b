/**
 * Switching seed scenarios of one running examples/shop environment (process runtime), the core of
 * bench/switch-scenarios.ts as a row: `POST …/scenario` for demo → big-catalog (5,000 products) →
 * empty, back to back (the next switch may arrive while the spare copies of the snapshot are still
 * being made), HTTP included; the figure is the slowest scenario's median. Baseline in the same run
 * (full runs only): a new environment of the same commit with the scenario, create to ready.
 */
import { performance } from "node:perf_hooks";
import type { BenchContext, BenchFigure } from "../bench-table.ts";
import { median, startShopPreviewd } from "../shop-previewd.ts";

const sequence = ["demo", "big-catalog", "empty"];

export default async function scenarioSwitch(ctx: BenchContext): Promise<BenchFigure[]> {
  const rounds = ctx.quick ? 2 : 5;
  const shop = await startShopPreviewd();
  const times: Record<string, number[]> = {};
  let reprovision: number | undefined;
  try {
    ctx.log("scenario switch: one environment of examples/shop");
    const { env } = await shop.ready(() => shop.orchestrator.create({ repo: shop.repo, ref: "main" }));
    for (let round = 0; round < rounds; round++) {
      ctx.log(`scenario switch: round ${round + 1}/${rounds}`);
      for (const name of sequence) {
        const began = performance.now();
        const reply = await fetch(`${shop.previewd.url}/v1/environments/${env.id}/scenario`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name }),
        });
        if (reply.status !== 200) throw new Error(`${name}: ${reply.status} ${await reply.text()}`);
        (times[name] ??= []).push(performance.now() - began);
      }
    }
    if (!ctx.quick) {
      ctx.log("scenario switch: baseline, a new environment with the scenario");
      shop.git("branch", "again", "main");
      const again = await shop.ready(() =>
        shop.orchestrator.create({ repo: shop.repo, ref: "again", scenario: "big-catalog" }),
      );
      reprovision = Math.round(again.wall);
    }
  } finally {
    await shop.close();
  }
  const medians = sequence.map((name) => ({ name, ms: median(times[name]!) }));
  const slowest = medians.reduce((a, b) => (b.ms > a.ms ? b : a));
  return [
    {
      figure: "scenario switch (examples/shop, back to back, slowest scenario's median)",
      target: "≤ 300 ms",
      value: Math.round(slowest.ms),
      unit: "ms",
      ...(reprovision !== undefined && {
        baseline: { label: "a new environment with the scenario", value: reprovision, unit: "ms" },
      }),
      met: slowest.ms <= 300,
      note: `median of ${rounds}: ${medians.map((m) => `${m.name} ${Math.round(m.ms)} ms`).join(", ")}`,
    },
  ];
}
