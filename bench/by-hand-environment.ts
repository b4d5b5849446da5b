/**
 * The floor of a whole environment of examples/shop, by hand: what any isolated environment of a
 * branch changing web must do on the same cores, with nothing of previewd's. In a copy of main's
 * installed and built checkout, at once and side by side:
 * - web's `build`, then (api being healthy, as `depends_on` says) its `start` until healthy;
 * - a database of its own, cloned on main's running Postgres from main's migrated database
 *   (`CREATE DATABASE … TEMPLATE`), then api's `start` on it until healthy, then admin's;
 * then, once every app is healthy, the scenario's steps (its `sql` files with pg, its `http`
 * steps with fetch). Everything started is stopped and the database dropped, even on failure.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { parse } from "yaml";
import { retryWhileInUse, withAdminClient } from "../seed-scenarios/postgres-admin.ts";
import {
  type ByHandApp,
  buildApp,
  childrenCpuMs,
  freePort,
  type RunningApp,
  startUntilHealthy,
} from "./by-hand.ts";

export interface EnvironmentByHand {
  /** The checkout (installed and built, with the branch's change). */
  root: string;
  /** A URL of main's running Postgres (any database on it). */
  postgresUrl: string;
  /** The database cloned: main's, migrated, with no session open on it. */
  template: string;
  /** The scenario file whose steps run once every app is healthy. */
  scenario: string;
}

/** Each from the start, in ms. */
export interface EnvironmentByHandTimes {
  webBuilt: number;
  databaseCreated: number;
  apiHealthy: number;
  adminHealthy: number;
  webHealthy: number;
  /** Every app healthy and the scenario's steps done: the whole environment. */
  total: number;
  /** CPU (user + system) of the processes it ran, in ms; Postgres' own (main's server) not included. */
  cpu: number;
}

type Step =
  | { sql: { file: string } }
  | { http: { app: string; method: string; path: string; body?: unknown; expect?: number } };

export async function wholeEnvironmentByHand(o: EnvironmentByHand): Promise<EnvironmentByHandTimes> {
  const database = `by_hand_${process.pid}_${Date.now()}`;
  const databaseUrl = Object.assign(new URL(o.postgresUrl), { pathname: `/${database}` }).toString();
  const [apiPort, adminPort, webPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const app = (name: string, env: Record<string, string>): ByHandApp => ({
    root: o.root,
    path: `apps/${name}`,
    build: "npm run build",
    start: "node dist/server.js",
    health: "/healthz",
    env,
  });
  const running: RunningApp[] = [];
  const start = async (spec: ByHandApp, port: number) =>
    void running.push(await startUntilHealthy(spec, port));
  let created = false;
  const cpu = childrenCpuMs();
  const began = performance.now();
  const since = () => performance.now() - began;
  const times: Partial<EnvironmentByHandTimes> = {};
  try {
    const api = (async () => {
      await retryWhileInUse(
        () =>
          withAdminClient(o.postgresUrl, (c) =>
            c.query(`CREATE DATABASE "${database}" TEMPLATE "${o.template}"`),
          ),
        20,
      );
      created = true;
      times.databaseCreated = since();
      await start(app("api", { DATABASE_URL: databaseUrl }), apiPort);
      times.apiHealthy = since();
    })();
    const admin = api.then(async () => {
      await start(app("admin", { API_URL: apiUrl }), adminPort);
      times.adminHealthy = since();
    });
    const web = (async () => {
      const spec = app("web", { API_URL: apiUrl, ADMIN_URL: `http://127.0.0.1:${adminPort}` });
      await buildApp(spec);
      times.webBuilt = since();
      await api;
      await start(spec, webPort);
      times.webHealthy = since();
    })();
    // Settled, not all: nothing may still be starting once the finally stops what was started.
    const failed = (await Promise.allSettled([api, admin, web])).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const urls = { api: apiUrl, admin: `http://127.0.0.1:${adminPort}`, web: `http://127.0.0.1:${webPort}` };
    await runSteps(o.scenario, databaseUrl, urls);
    times.total = since();
  } finally {
    await Promise.allSettled(running.map((r) => r.stop()));
    times.cpu = childrenCpuMs() - cpu;
    if (created)
      await withAdminClient(o.postgresUrl, (c) =>
        c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`),
      );
  }
  return times as EnvironmentByHandTimes;
}

/** The scenario's steps by hand: each `sql` file in one pg session, each `http` step with fetch. */
async function runSteps(
  scenarioFile: string,
  databaseUrl: string,
  urls: Record<string, string>,
): Promise<void> {
  const { steps } = parse(readFileSync(scenarioFile, "utf8")) as { steps: Step[] };
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const step of steps) {
      if ("sql" in step) {
        await client.query(readFileSync(path.join(path.dirname(scenarioFile), step.sql.file), "utf8"));
        continue;
      }
      const { app, method, path: at, body, expect } = step.http;
      const reply = await fetch(`${urls[app]}${at}`, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await reply.arrayBuffer();
      if (expect === undefined ? !reply.ok : reply.status !== expect)
        throw new Error(`${method} ${at}: ${reply.status}, expected ${expect ?? "2xx"}`);
    }
  } finally {
    await client.end();
  }
}
