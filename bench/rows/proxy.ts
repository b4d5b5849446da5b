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
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchContext, BenchFigure } from "../bench-table.ts";
import { createFixtureRepo } from "../../test/helpers/fixture-monorepo.ts";
import { httpLoad } from "../load/http-load.ts";
import { median, type LoadSummary } from "../load/latency-summary.ts";
import { servePreviewd } from "../load/previewd-serve.ts";
import { startReferenceHop, type ReferenceHop } from "../load/reference-hops.ts";
import { wsEchoLoad } from "../load/ws-echo-load.ts";
import { clockSince, readProcessClock, type ClockSpan } from "../load/process-clock.ts";

type Protocol = "HTTP" | "WebSocket echo";
/** GET / of the web app: it asks the api, which asks Postgres. */
type Load = Protocol | "page";
interface Target {
  url: string;
  host?: string;
  /** The process in the path whose CPU is read (process-clock.ts). */
  pid?: number;
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
    const targets: Record<string, Target> = {
      direct: { url: direct },
      proxy: { url: previewd.url, host: new URL(web.url).host, pid: previewd.process.pid! },
      floor: { url: relay.url },
      before: { url: before.url },
      library: { url: library.url, pid: library.pid },
      app: { url: appAlone },
    };

    const load = (kind: Load, target: Target, connections: number, s: number) => {
      const { url, host } = target;
      if (kind === "page") return httpLoad({ url: `${url}/`, host, connections, seconds: s });
      if (kind === "HTTP")
        return httpLoad({ url: `${url}/healthz`, host, connections, seconds: s, expectBody: "ok" });
      return wsEchoLoad({ url: `${url.replace("http", "ws")}/ws`, host, connections, seconds: s });
    };

    type Run = LoadSummary & { cpuUsPerRequest: number; waitShare: number };
    // What each measured process spends with no load (previewd polls logs, probes health): taken
    // off its CPU during a run, so the figure per request is the proxying's own.
    const idleCores = new Map<number, number>();
    for (const pid of [previewd.process.pid!, library.pid]) {
      const before = readProcessClock(pid);
      await sleep(2_000);
      const idle = clockSince(pid, before);
      idleCores.set(pid, idle.cpuMs / idle.wallMs);
    }
    ctx.log(`CPU with no load: previewd ${idleCores.get(previewd.process.pid!)!.toFixed(3)} cores`);
    const timedLoad = async (kind: Load, target: Target, connections: number, s: number): Promise<Run> => {
      const before = target.pid !== undefined ? readProcessClock(target.pid) : undefined;
      const summary = await load(kind, target, connections, s);
      const span: ClockSpan | undefined = before && clockSince(target.pid!, before);
      const requests = summary.perSecond * s;
      const ownCpuMs = span ? span.cpuMs - (idleCores.get(target.pid!) ?? 0) * span.wallMs : NaN;
      return {
        ...summary,
        cpuUsPerRequest: requests > 0 ? (ownCpuMs * 1000) / requests : NaN,
        waitShare: span?.waitShare ?? NaN,
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
        figures.push(
          {
            figure: `proxy ${protocol} throughput / direct, ${connections} connections`,
            target: "≥ 0.8×",
            value: ratio("proxy"),
            unit: "×",
            baseline: { label: "direct", value: pick("direct", "perSecond"), unit },
            met: ratio("proxy") >= 0.8 && errors === 0,
            note: `${reference(ratio)}; proxy ${pick("proxy", "perSecond").toFixed(0)} ${unit}${rest}`,
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

    const page = await measure("page", ["direct", "proxy"], 10);
    const pageRatio = page("proxy", "perSecond") / page("direct", "perSecond");
    figures.push({
      figure: "proxy HTTP throughput / direct, a page that asks the api and Postgres, 10 connections",
      target: "≥ 0.8×",
      value: pageRatio,
      unit: "×",
      baseline: { label: "direct", value: page("direct", "perSecond"), unit: "req/s" },
      met: pageRatio >= 0.8 && page("proxy", "errors") + page("direct", "errors") === 0,
      note: `p50 ${page("proxy", "p50").toFixed(1)} ms through the proxy, ${page("direct", "p50").toFixed(1)} ms direct (${(page("proxy", "p50") / page("direct", "p50")).toFixed(2)}×)`,
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
