/**
 * The preview proxy against the app's directUrl, in the same run: HTTP (autocannon, keep-alive)
 * and WebSocket echo, at 10 and 100 connections. The upstream is the fixture monorepo's web app
 * (GET /healthz answers "ok", /ws echoes) in a real process-runtime environment of a
 * `previewd serve` of its own, so the measured path is proxy → app (the app's instance,
 * Runtime.instanceUrl) and the direct one (directUrl) front → app. Beside them, in turn with them so the machine's noise falls on all alike:
 * - the floor: one more front (a bare TCP relay process) before the direct path: what any proxy
 *   in a process of its own costs here, before it does any work per request;
 * - before: http-proxy-3 without keep-alive, as the proxy was (HTTP only; WebSockets never pooled);
 * - library: http-proxy-3 with keep-alive alone, what previewd adds to it (routing, access, metrics);
 * - a page that does work (the web app's / asks the api, which asks Postgres), where the proxy's
 *   own cost weighs less than on /healthz;
 * - the app's own port, behind its front: what the front costs.
 * For the proxy and http-proxy-3 alone, the CPU each process spent per request (less what it
 * spends with no load) and the share of the time its main thread waited for a core: figures the
 * machine's load moves far less than throughput, telling previewd's own cost from starvation.
 * The HTTP throughput figures also carry the CPU budget: at 0.8× of direct the machine's cores
 * have (cores / (0.8 × direct req/s)) µs per request in all, set beside what the load generator,
 * the app (its whole process group), its front and the proxy process spent per request.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchContext, BenchFigure } from "../bench-table.ts";
import { createFixtureRepo } from "../../test/helpers/fixture-monorepo.ts";
import { httpLoad } from "../load/http-load.ts";
import { median, type LoadSummary } from "../load/latency-summary.ts";
import { servePreviewd } from "../load/previewd-serve.ts";
import { startReferenceHop, type ReferenceHop } from "../load/reference-hops.ts";
import { wsEchoLoad } from "../load/ws-echo-load.ts";
import { clockSince, readGroupCpuMs, readProcessClock, type ClockSpan } from "../load/process-clock.ts";

type Protocol = "HTTP" | "WebSocket echo";
type Spender = "loadUs" | "appUs" | "frontUs";
/** GET / of the web app: it asks the api, which asks Postgres. */
type Load = Protocol | "page";
interface Target {
  url: string;
  host?: string;
  /** The process in the path whose CPU is read (process-clock.ts). */
  pid?: number;
  /** The app's process and its front's, when the path crosses them: their CPU per request too. */
  app?: number;
  front?: number;
}

export default async function proxyRow(ctx: BenchContext): Promise<BenchFigure[]> {
  const seconds = ctx.quick ? 2 : 5;
  const rounds = ctx.quick ? 1 : 3;
  const previewd = await servePreviewd();
  const hops: ReferenceHop[] = [];
  try {
    const env = await previewd.create({ repo: createFixtureRepo().dir });
    const web = env.apps.web!;
    const direct = web.directUrl!;
    // The port the front forwards to, as the runtime wrote it for the front.
    const frontTarget = path.join(previewd.dataDir, "environments", env.id, "fronts", "web.port");
    const appAlone = `http://127.0.0.1:${(await readFile(frontTarget, "utf8")).trim()}`;
    const relay = await startReferenceHop("relay", direct);
    const before = await startReferenceHop("no-keep-alive", direct);
    const library = await startReferenceHop("keep-alive", direct);
    hops.push(relay, before, library);
    const { app: appPid, front: frontPid } = await previewd.appPids(env.id, "web");
    const targets: Record<string, Target> = {
      direct: { url: direct, app: appPid, front: frontPid },
      proxy: { url: previewd.url, host: new URL(web.url).host, pid: previewd.process.pid!, app: appPid },
      floor: { url: relay.url },
      before: { url: before.url },
      library: { url: library.url, pid: library.pid, app: appPid, front: frontPid },
      app: { url: appAlone },
    };

    const load = (kind: Load, target: Target, connections: number, s: number) => {
      const { url, host } = target;
      if (kind === "page") return httpLoad({ url: `${url}/`, host, connections, seconds: s });
      if (kind === "HTTP")
        return httpLoad({ url: `${url}/healthz`, host, connections, seconds: s, expectBody: "ok" });
      return wsEchoLoad({ url: `${url.replace("http", "ws")}/ws`, host, connections, seconds: s });
    };

    /** CPU µs per request of the proxy process, the load generator (this process), the app, its front. */
    type Run = LoadSummary & { cpuUsPerRequest: number; waitShare: number } & Record<Spender, number>;
    // What each measured process spends with no load (previewd polls logs, probes health): taken
    // off its CPU during a run, so the figure per request is the proxying's own.
    const idleCores = new Map<number, number>();
    const measured = [previewd.process.pid!, library.pid, process.pid, frontPid].filter(isPid);
    const idleFrom = measured.map((pid) => readProcessClock(pid));
    await sleep(2_000);
    measured.forEach((pid, i) => {
      const idle = clockSince(pid, idleFrom[i]!);
      idleCores.set(pid, idle.cpuMs / idle.wallMs);
    });
    ctx.log(`CPU with no load: previewd ${idleCores.get(previewd.process.pid!)!.toFixed(3)} cores`);
    const timedLoad = async (kind: Load, target: Target, connections: number, s: number): Promise<Run> => {
      const pids = { proxy: target.pid, load: process.pid, front: target.front };
      const before = new Map(
        Object.values(pids)
          .filter(isPid)
          .map((pid) => [pid, readProcessClock(pid)]),
      );
      // The app's whole group: its recorded pid may be the shell or package manager that started it.
      const appBefore = isPid(target.app) ? readGroupCpuMs(target.app) : NaN;
      const summary = await load(kind, target, connections, s);
      const spans = new Map([...before].map(([pid, clock]) => [pid, clockSince(pid, clock)] as const));
      const appCpuMs = isPid(target.app) ? readGroupCpuMs(target.app) - appBefore : NaN;
      const requests = summary.perSecond * s;
      const usPerRequest = (pid: number | undefined) => {
        const span: ClockSpan | undefined = pid === undefined ? undefined : spans.get(pid);
        if (!span || requests <= 0) return NaN;
        return ((span.cpuMs - (idleCores.get(pid!) ?? 0) * span.wallMs) * 1000) / requests;
      };
      return {
        ...summary,
        cpuUsPerRequest: usPerRequest(pids.proxy),
        waitShare: target.pid === undefined ? NaN : (spans.get(target.pid)?.waitShare ?? NaN),
        loadUs: usPerRequest(pids.load),
        appUs: requests > 0 ? (appCpuMs * 1000) / requests : NaN,
        frontUs: usPerRequest(pids.front),
      };
    };

    /** Medians per path over the rounds; every path once per round, after one warm-up second each. */
    const measure = async (protocol: Load, paths: string[], connections: number) => {
      for (const name of paths) await load(protocol, targets[name]!, connections, 1);
      const runs = new Map<string, Run[]>(paths.map((name) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        for (const name of paths)
          runs.get(name)!.push(await timedLoad(protocol, targets[name]!, connections, seconds));
      }
      const pick = (name: string, key: keyof Run) => median(runs.get(name)!.map((run) => run[key]));
      return pick;
    };

    const figures: BenchFigure[] = [];
    for (const protocol of ["HTTP", "WebSocket echo"] as const) {
      const unit = protocol === "HTTP" ? "req/s" : "msg/s";
      for (const connections of [10, 100]) {
        const paths =
          protocol === "HTTP"
            ? ["direct", "proxy", "floor", "library", "before"]
            : ["direct", "proxy", "floor"];
        const pick = await measure(protocol, paths, connections);
        const ratio = (name: string) => pick(name, "perSecond") / pick("direct", "perSecond");
        const latency = (name: string) => pick(name, "p50") / pick("direct", "p50");
        const errors = paths.reduce((sum, name) => sum + pick(name, "errors"), 0);
        const line = paths.map(
          (name) =>
            `${name} ${pick(name, "perSecond").toFixed(0)} ${unit} p50 ${pick(name, "p50").toFixed(2)} ms`,
        );
        ctx.log(`${protocol}, ${connections} connections: ${line.join("; ")}`);
        const cpu = (name: string) =>
          `${name} ${pick(name, "cpuUsPerRequest").toFixed(0)} µs CPU per ${protocol === "HTTP" ? "request" : "message"}, main thread waiting for a core ${(100 * pick(name, "waitShare")).toFixed(0)}% of the time`;
        const cpuNote = paths
          .filter((name) => targets[name]!.pid !== undefined)
          .map(cpu)
          .join("; ");
        const reference = (key: (name: string) => number) =>
          `floor (one more relay hop) ${key("floor").toFixed(2)}×` +
          (paths.includes("before")
            ? `, http-proxy-3 alone ${key("library").toFixed(2)}×, before (no keep-alive) ${key("before").toFixed(2)}×`
            : "");
        const rest = `; ${cpuNote}; median of ${rounds} × ${seconds} s${errors > 0 ? `; ${errors} errors` : ""}`;
        const budget = protocol === "HTTP" ? `; ${cpuBudget(pick, connections)}` : "";
        figures.push(
          {
            figure: `proxy ${protocol} throughput / direct, ${connections} connections`,
            target: "≥ 0.8×",
            value: ratio("proxy"),
            unit: "×",
            baseline: { label: "direct", value: pick("direct", "perSecond"), unit },
            met: ratio("proxy") >= 0.8 && errors === 0,
            note: `${reference(ratio)}; proxy ${pick("proxy", "perSecond").toFixed(0)} ${unit}${rest}${budget}`,
          },
          {
            figure: `proxy ${protocol} p50 latency / direct, ${connections} connections`,
            target: "≤ 1.2×",
            value: latency("proxy"),
            unit: "×",
            baseline: { label: "direct p50", value: pick("direct", "p50"), unit: "ms" },
            met: latency("proxy") <= 1.2 && errors === 0,
            note: `${reference(latency)}; proxy p50 ${pick("proxy", "p50").toFixed(2)} ms, p99 ${pick("proxy", "p99").toFixed(1)} ms${rest}`,
          },
        );
      }
    }

    // The floor and the library alone beside it too: what any proxy in a process of its own, and
    // http-proxy-3 with nothing of previewd's, reach on a page that does work.
    const page = await measure("page", ["direct", "proxy", "floor", "library"], 10);
    const pageRatio = page("proxy", "perSecond") / page("direct", "perSecond");
    const pageBeside = (name: string) => (page(name, "perSecond") / page("direct", "perSecond")).toFixed(2);
    figures.push({
      figure: "proxy HTTP throughput / direct, a page that asks the api and Postgres, 10 connections",
      target: "≥ 0.8×",
      value: pageRatio,
      unit: "×",
      baseline: { label: "direct", value: page("direct", "perSecond"), unit: "req/s" },
      met: pageRatio >= 0.8 && page("proxy", "errors") + page("direct", "errors") === 0,
      note:
        `floor (one more relay hop) ${pageBeside("floor")}×, http-proxy-3 alone ${pageBeside("library")}×; ` +
        `p50 ${page("proxy", "p50").toFixed(1)} ms through the proxy, ${page("direct", "p50").toFixed(1)} ms direct (${(page("proxy", "p50") / page("direct", "p50")).toFixed(2)}×)`,
    });

    const front = await measure("HTTP", ["direct", "app"], 10);
    figures.push({
      figure: "front (directUrl) HTTP throughput / the app's own port, 10 connections",
      target: "report",
      value: front("direct", "perSecond") / front("app", "perSecond"),
      unit: "×",
      baseline: { label: "app alone", value: front("app", "perSecond"), unit: "req/s" },
      met: true,
      note: `p50 ${front("direct", "p50").toFixed(2)} ms through the front, ${front("app", "p50").toFixed(2)} ms to the app alone`,
    });
    return figures;
  } finally {
    for (const hop of hops) await hop.close();
    await previewd.close();
  }
}

const isPid = (pid: number | undefined): pid is number => pid !== undefined && pid > 1;

/**
 * The machine's CPU per request at the target (0.8× of direct's throughput: every core busy
 * for that many requests a second), next to what the processes of each path spent per request
 * in the same rounds: the floor as a measurement.
 */
function cpuBudget(
  pick: (name: string, key: "perSecond" | "cpuUsPerRequest" | Spender) => number,
  connections: number,
): string {
  const cores = os.availableParallelism();
  const budget = (cores * 1e6) / (0.8 * pick("direct", "perSecond"));
  const us = (name: string, key: "cpuUsPerRequest" | Spender) => Math.max(0, pick(name, key) || 0);
  const sum = (name: string, keys: Array<"cpuUsPerRequest" | Spender>) =>
    keys.reduce((total, key) => total + us(name, key), 0).toFixed(0);
  const fmt = (name: string, key: "cpuUsPerRequest" | Spender) => us(name, key).toFixed(0);
  return (
    `CPU budget at 0.8× of direct, ${connections} connections: ${budget.toFixed(0)} µs per request for the whole machine (${cores} cores / (0.8 × ${pick("direct", "perSecond").toFixed(0)} req/s)); ` +
    `spent per request: direct ${sum("direct", ["loadUs", "frontUs", "appUs"])} µs (load generator ${fmt("direct", "loadUs")}, front ${fmt("direct", "frontUs")}, app ${fmt("direct", "appUs")}), ` +
    `http-proxy-3 alone ${sum("library", ["loadUs", "cpuUsPerRequest", "frontUs", "appUs"])} µs (load generator ${fmt("library", "loadUs")}, library ${fmt("library", "cpuUsPerRequest")}, front ${fmt("library", "frontUs")}, app ${fmt("library", "appUs")}), ` +
    `previewd ${sum("proxy", ["loadUs", "cpuUsPerRequest", "appUs"])} µs (load generator ${fmt("proxy", "loadUs")}, previewd ${fmt("proxy", "cpuUsPerRequest")}, app ${fmt("proxy", "appUs")})`
  );
}
