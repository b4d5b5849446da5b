/**
 * Docker runtime, warm: examples/shop created on previewd's docker runtime against
 * `docker-compose up -d` of the same apps (bench/docker/compose-shop.ts), until every app is
 * healthy, images already built for both. Each previewd variant is a previewd of its own, kept
 * running between rounds as a real one would be: every shortcut on (after), every one off
 * (before) and, in full runs, each one off alone, so each figure says what its shortcut saves.
 * Rounds take turns (the variants' order turned by one each round, compose last or first) so that
 * load drifts, and the engine's work left after compose's teardown, hit all alike;
 * figures are medians, and every run's figure is logged. In every round, taking turns with the
 * variants too, the floor (bench/docker/containers-by-hand.ts): the same Compose project made
 * ahead untimed, its four containers started at once by hand until every app is healthy. Needs a
 * Docker engine and docker-compose (Debian: apt-get install docker-compose).
 */
import { rm } from "node:fs/promises";
import os from "node:os";
import Docker from "dockerode";
import type { BenchContext, BenchFigure } from "../bench-table.ts";
import { ComposeShop, composeVersion } from "../docker/compose-shop.ts";
import { startAtOnceUntilHealthy, type FloorTimes } from "../docker/containers-by-hand.ts";
import { localPostgresImage } from "../../provisioner/runtimes/docker/postgres-image.ts";
import { ensureInitialisedPostgresImage } from "../../provisioner/runtimes/docker/postgres-initialised-image.ts";
import { PreviewdDocker, type DockerCreateTimes } from "../docker/previewd-docker.ts";
import { median } from "../shop-previewd.ts";
import {
  warmStartNames,
  warmStarts,
  type WarmStartName,
} from "../../provisioner/runtimes/docker/warm-starts.ts";
import { nodeBaseImage, npmCacheFor } from "../../test/helpers/docker-base-image.ts";
import { createShopRepo } from "../../test/helpers/shop-repo.ts";

const figure = "Docker runtime warm create / `docker-compose up -d`, same apps, until healthy";
const target = "≤ 0.5×";

interface Variant {
  name: string;
  off: readonly WarmStartName[];
  previewd?: PreviewdDocker;
  runs: DockerCreateTimes[];
}

/** The floor, by hand (bench/docker/containers-by-hand.ts), with compose's Postgres or previewd's. */
interface Floor {
  name: string;
  pgImage?: string;
  runs: FloorTimes[];
}

export default async function dockerWarm(ctx: BenchContext): Promise<BenchFigure[]> {
  const version = await composeVersion();
  if (!version)
    return [
      {
        figure,
        target,
        value: NaN,
        unit: "×",
        met: false,
        note: "not measured: docker-compose is not installed (Debian: apt-get install docker-compose)",
      },
    ];
  const socketPath = process.env.DOCKER_HOST?.replace(/^unix:\/\//, "") ?? "/var/run/docker.sock";
  const docker = new Docker({ socketPath });
  const rounds = ctx.quick ? 2 : 3;
  const worktree = createShopRepo();
  const variants: Variant[] = [
    { name: "after: every shortcut", off: [], runs: [] },
    { name: "before: no shortcut", off: warmStartNames, runs: [] },
    ...(ctx.quick ? [] : warmStartNames.map((name) => ({ name: `without ${name}`, off: [name], runs: [] }))),
  ];
  const compose: number[] = [];
  const floors: Floor[] = [
    { name: "compose's Postgres (initdb at start)", runs: [] },
    { name: "previewd's initialised Postgres image", runs: [] },
  ];
  try {
    ctx.log("docker warm: base images and the apps' images (compose's and previewd's)");
    const npmCache = await npmCacheFor(worktree, ["apps/api", "apps/web", "apps/admin", "packages/shared"]);
    await nodeBaseImage(docker, { tags: ["node:20-slim"], npmCache });
    const shop = await ComposeShop.prepare(docker);
    floors[1]!.pgImage = await ensureInitialisedPostgresImage(docker, {
      base: await localPostgresImage(docker, "bench"),
      owner: "bench",
      user: "postgres",
      database: "shop",
    });
    for (const variant of variants) {
      variant.previewd = await PreviewdDocker.start(worktree, warmStarts(variant.off));
      await variant.previewd.create(); // Builds or finds the images; a running previewd is warm.
    }
    for (let round = 0; round < rounds; round++) {
      ctx.log(`docker warm: round ${round + 1}/${rounds}`);
      // The variants and the floors turned by one each round, compose last and first by turns: no
      // variant always runs right after compose's `down`, which may leave the engine busy.
      const contenders: (Variant | Floor)[] = [...variants, ...floors];
      const turned = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
      const order = round % 2 === 0 ? [...turned, "compose" as const] : ["compose" as const, ...turned];
      for (const contender of order) {
        if (contender === "compose") {
          compose.push(await shop.upUntilHealthy());
          await shop.down();
          ctx.log(`docker warm: compose ${Math.round(compose.at(-1)!)} ms`);
        } else if (!("off" in contender)) {
          contender.runs.push(await startAtOnceUntilHealthy(docker, shop, contender.pgImage));
          const { started, healthy, apps } = contender.runs.at(-1)!;
          const each = Object.entries(apps).map(([app, ms]) => `${app} ${ms}`);
          ctx.log(
            `docker warm: by hand, ${contender.name}, started at once ${Math.round(healthy)} ms ` +
              `(starts returned ${Math.round(started)} ms; healthy: ${each.join(", ")})`,
          );
        } else {
          contender.runs.push(await contender.previewd!.create());
          ctx.log(`docker warm: ${contender.name} ${contender.runs.at(-1)!.healthy} ms`);
        }
      }
    }
  } finally {
    for (const variant of variants) await variant.previewd?.close();
    await rm(worktree, { recursive: true, force: true });
  }
  return figures(variants, floors, median(compose), rounds, version);
}

function figures(
  variants: Variant[],
  floors: Floor[],
  compose: number,
  rounds: number,
  version: string,
): BenchFigure[] {
  const healthy = (variant: Variant) => median(variant.runs.map((run) => run.healthy));
  const [after, before, ...alone] = variants as [Variant, Variant, ...Variant[]];
  const baseline = { label: "docker-compose up -d until healthy", value: Math.round(compose), unit: "ms" };
  const ratio = healthy(after) / compose;
  const floorMs = (floor: Floor) => median(floor.runs.map((run) => run.healthy));
  const lowest = Math.min(...floors.map(floorMs));
  const floorRatio = (ms: number) => Math.round((ms / compose) * 100) / 100;
  const phases = (variant: Variant) =>
    Object.entries(variant.runs.at(-1)?.timings ?? {})
      .map(([phase, ms]) => `${phase} ${ms}`)
      .join(", ");
  return [
    {
      figure,
      target,
      value: Math.round(ratio * 100) / 100,
      unit: "×",
      baseline,
      met: ratio <= 0.5,
      note:
        `median of ${rounds}: previewd ${Math.round(healthy(after))} ms until healthy, ` +
        `${Math.round(median(after.runs.map((r) => r.ready)))} ms until ready (seeded); ` +
        `last run's phases (ms): ${phases(after)}; floor: ${Math.round(lowest)} ms (${floorRatio(lowest)}× compose); ` +
        `docker-compose ${version}, load ${os.loadavg()[0]?.toFixed(1)}`,
    },
    ...floors.map((floor): BenchFigure => ({
      figure: `Docker warm: the shop's containers by hand, made ahead, started at once / compose, ${floor.name}`,
      target: "report",
      value: floorRatio(floorMs(floor)),
      unit: "×",
      baseline,
      met: true,
      note:
        `median of ${rounds}: ${Math.round(floorMs(floor))} ms until all healthy, all four \`docker start\`s ` +
        `returned after ${Math.round(median(floor.runs.map((run) => run.started)))} ms (nothing made, no order kept)`,
    })),
    ...[before, ...alone].map((variant): BenchFigure => ({
      figure: `${figure}, ${variant.name}`,
      target: "report",
      value: Math.round((healthy(variant) / compose) * 100) / 100,
      unit: "×",
      baseline,
      met: true,
      note: `${Math.round(healthy(variant))} ms until healthy, ${Math.round(healthy(variant) - healthy(after))} ms more than with every shortcut`,
    })),
  ];
}
