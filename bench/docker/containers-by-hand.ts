/**
 * The physical floor beside bench/rows/docker-warm.ts: everything made ahead, started at once, by
 * hand. The Compose project of bench/docker/compose-shop.ts (same images, network and published
 * ports) is created untimed (`docker-compose up --no-start`: network and four containers); timed,
 * its four containers (Postgres, api, web, admin) are started at once through the engine's API
 * (`Promise.all` of `container.start()`), and each app's `/healthz` polled every 10 ms (host port
 * read from the engine once its container has started) until all three answer; then untimed
 * `down -v`, on failure too. No dependency order is kept: the shop's api waits for its database
 * itself (`waitForDatabase`: it retries `select 1` every 500 ms for 30 s, it does not exit), and
 * web and admin answer `/healthz` without the api. Postgres is the Compose file's (a fresh data
 * directory: initdb at its first start, as compose's own run does) or, given `pgImage`, previewd's
 * initialised image (postgres-initialised-image.ts: its data directory made ahead too, only the
 * password set at the first start, as previewd's own creates do).
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { answers, shopHealth, type ComposeShop } from "./compose-shop.ts";

export interface FloorTimes {
  /** ms until every `start` call had returned. */
  started: number;
  /** ms until all three apps answered their health path. */
  healthy: number;
  /** ms until each app answered. */
  apps: Record<string, number>;
}

const services = ["db", ...Object.keys(shopHealth)];

/** One run of the floor: create ahead (untimed), start all at once until healthy, `down -v`. */
export async function startAtOnceUntilHealthy(
  docker: Docker,
  shop: ComposeShop,
  pgImage?: string,
): Promise<FloorTimes> {
  try {
    const ids = await shop.createAhead(pgImage);
    const missing = services.filter((service) => !ids.has(service));
    if (missing.length) throw new Error(`docker-compose up --no-start created no ${missing.join(", ")}`);
    const began = performance.now();
    let started = 0;
    const apps: Record<string, number> = {};
    let failed = false; // One app's failure ends the others' polls.
    const starts = services.map(async (service) => {
      const container = docker.getContainer(ids.get(service)!);
      await container.start();
      started = Math.max(started, performance.now() - began);
      return container;
    });
    await Promise.all(
      services.map(async (service, i) => {
        const container = await starts[i]!;
        const health = shopHealth[service];
        if (!health) return;
        const [port, route] = health;
        const info = await container.inspect();
        const published = info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort;
        if (!published) throw new Error(`the by-hand ${service} is not published on 127.0.0.1`);
        const deadline = performance.now() + 120_000;
        while (!(await answers(`http://127.0.0.1:${published}${route}`))) {
          if (failed) return;
          if (performance.now() > deadline) throw new Error(`the by-hand ${service} never became healthy`);
          await sleep(10);
        }
        apps[service] = Math.round(performance.now() - began);
      }),
    ).catch((error: unknown) => {
      failed = true;
      throw error;
    });
    return { started, healthy: performance.now() - began, apps };
  } finally {
    await shop.down();
  }
}
