import { EventEmitter } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import type { EnvironmentStatus, EnvironmentView } from "../environments/environment-schema.ts";
import { FakeOrchestrator } from "../api/fake-orchestrator.test-helper.ts";
import { MemoryLogStore } from "../logs/memory-log-store.ts";
import type { PreviewProxy } from "../proxy/preview-proxy.ts";
import { countLogLines, instrumentProxy } from "./instrument.ts";
import { PreviewdMetrics, type WatchedEnvironments } from "./previewd-metrics.ts";

/** The orchestrator's environments plus the status-change hook the real one has. */
function watched(fake: FakeOrchestrator): WatchedEnvironments & {
  change(id: string, status: EnvironmentStatus, overrides?: Partial<EnvironmentView>): void;
} {
  const changes = new EventEmitter();
  return {
    list: () => fake.list(),
    onStatusChange(listener) {
      changes.on("status", listener);
      return () => changes.off("status", listener);
    },
    change(id, status, overrides) {
      fake.setStatus(id, status, overrides);
      changes.emit("status", id, status);
    },
  };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("previewd's Prometheus metrics", () => {
  it("counts environments by status and runtime at scrape time, with explicit zeros", async () => {
    const metrics = new PreviewdMetrics({ defaultMetrics: false });
    const fake = new FakeOrchestrator();
    metrics.watchEnvironments(watched(fake));
    fake.add("a", { status: "ready" });
    fake.add("b", { status: "ready" });
    fake.add("c", { status: "failed", runtime: "docker" });

    const text = await metrics.registry.metrics();

    expect(sample(text, 'previewd_environments{status="ready",runtime="process"}')).toBe(2);
    expect(sample(text, 'previewd_environments{status="failed",runtime="docker"}')).toBe(1);
    expect(sample(text, 'previewd_environments{status="deleting",runtime="kubernetes"}')).toBe(0);
    fake.remove("a");
    expect(
      sample(await metrics.registry.metrics(), 'previewd_environments{status="ready",runtime="process"}'),
    ).toBe(1);
  });

  it("observes nothing when a degraded environment is ready again (a restart is no provisioning)", async () => {
    const metrics = new PreviewdMetrics({ defaultMetrics: false });
    const fake = new FakeOrchestrator();
    const environments = watched(fake);
    metrics.watchEnvironments(environments);
    fake.add("a");
    environments.change("a", "provisioning", { timings: { worktree: 40 } });
    environments.change("a", "ready", { timings: { worktree: 40, total: 1200 } });
    environments.change("a", "degraded");
    environments.change("a", "ready");

    const text = await metrics.registry.metrics();
    expect(
      sample(
        text,
        'previewd_provisioning_phase_duration_seconds_count{phase="total",runtime="process",outcome="ready"}',
      ),
    ).toBe(1);
  });

  it("observes every phase of a provisioning once it ends ready or failed, not on the way", async () => {
    const metrics = new PreviewdMetrics({ defaultMetrics: false });
    const fake = new FakeOrchestrator();
    const environments = watched(fake);
    metrics.watchEnvironments(environments);
    fake.add("a");
    environments.change("a", "provisioning", { timings: { worktree: 40 } });
    environments.change("a", "ready", { timings: { worktree: 40, build: 900, total: 1200 } });
    environments.change("a", "failed", { timings: { worktree: 30, total: 31 } });

    const text = await metrics.registry.metrics();

    const series = (phase: string, outcome: string) =>
      `previewd_provisioning_phase_duration_seconds_count{phase="${phase}",runtime="process",outcome="${outcome}"}`;
    expect(sample(text, series("worktree", "ready"))).toBe(1);
    expect(sample(text, series("build", "ready"))).toBe(1);
    expect(sample(text, series("total", "ready"))).toBe(1);
    expect(sample(text, series("total", "failed"))).toBe(1);
    expect(
      sample(
        text,
        'previewd_provisioning_phase_duration_seconds_sum{phase="build",runtime="process",outcome="ready"}',
      ),
    ).toBeCloseTo(0.9);
  });

  it("counts log lines by stream and still stores them", async () => {
    const metrics = new PreviewdMetrics({ defaultMetrics: false });
    const logs = countLogLines(new MemoryLogStore(), metrics);
    logs.append("a", { app: "api", stream: "stdout", line: "one" });
    logs.append("a", { app: "api", stream: "stdout", line: "two" });
    logs.append("a", { app: "previewd", stream: "system", line: "three" });

    const text = await metrics.registry.metrics();

    expect(sample(text, 'previewd_log_lines_ingested_total{stream="stdout"}')).toBe(2);
    expect(sample(text, 'previewd_log_lines_ingested_total{stream="system"}')).toBe(1);
    expect(logs.query("a").map((entry) => entry.line)).toEqual(["one", "two", "three"]);
  });

  it("counts preview requests by final status, and only those the proxy handled", async () => {
    const metrics = new PreviewdMetrics({ defaultMetrics: false });
    const proxy: PreviewProxy = {
      handleRequest(req, res) {
        if (req.headers.host?.startsWith("api.")) return false;
        res.writeHead(404).end();
        return true;
      },
      handleUpgrade: () => false,
    };
    const instrumented = instrumentProxy(proxy, metrics);
    const server = http.createServer((req, res) => {
      if (!instrumented.handleRequest(req, res)) res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const get = (host: string) =>
        new Promise<void>((resolve, reject) =>
          http
            .get({ host: "127.0.0.1", port, headers: { host } }, (res) => res.resume().on("end", resolve))
            .on("error", reject),
        );
      await get("web--x.localhost");
      await get("web--y.localhost");
      await get("api.example");
      await new Promise((resolve) => setImmediate(resolve));

      const text = await metrics.registry.metrics();
      expect(sample(text, 'previewd_proxy_requests_total{kind="http",status="404"}')).toBe(2);
      expect(text).not.toContain('status="200"');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("includes the process's default metrics, prefixed", async () => {
    const metrics = new PreviewdMetrics();
    expect(await metrics.registry.metrics()).toContain("previewd_process_cpu_user_seconds_total");
  });
});
