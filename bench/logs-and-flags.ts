/**
 * Logs and flags, each against a baseline in the same run:
 * - log ingestion (lines/s): FileLogStore (memory + buffered NDJSON files) vs pushing onto an array,
 *   and vs the MemoryLogStore it replaces;
 * - follow latency: append → line received over `GET …/logs?follow=true` (SSE), p50/p99;
 * - OFREP evaluations/s through previewd's API (auth included) vs `/healthz` on the same server.
 * Run: npm run bench:logs-flags
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { createApp } from "../provisioner/api/create-app.ts";
import { FakeOrchestrator } from "../provisioner/api/fake-orchestrator.test-helper.ts";
import { SseReader } from "../provisioner/api/sse-reader.test-helper.ts";
import { MemoryFlagSource } from "../provisioner/flags/memory-flag-source.test-helper.ts";
import { startHttpServer } from "../provisioner/http-server.ts";
import { silentLogger } from "../provisioner/logger.ts";
import { FileLogStore } from "../provisioner/logs/file-log-store.ts";
import type { LogStore } from "../provisioner/logs/log-store.ts";
import { MemoryLogStore } from "../provisioner/logs/memory-log-store.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "previewd-bench-logs-"));
const lines = 500_000;

function ingest(store: LogStore, env: string): number {
  const started = performance.now();
  for (let i = 0; i < lines; i++) {
    store.append(env, {
      app: i % 3 ? "api" : "web",
      stream: "stdout",
      line: `GET /products/${i} 200 in 3 ms`,
    });
  }
  if (store instanceof FileLogStore) store.flush();
  return lines / ((performance.now() - started) / 1000);
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

const files = await FileLogStore.open({ dir });
const memory = new MemoryLogStore(20_000);
ingest(memory, "warm-up");
ingest(files, "warm-up");
const memoryRate = ingest(memory, "env-1");
// The floor: building the entry and pushing it onto an array, nothing else.
const floor: unknown[] = [];
const arrayRate = ingest(
  { append: (_env, entry) => void floor.push({ ts: new Date().toISOString(), ...entry }) } as LogStore,
  "env-1",
);
floor.length = 0;
const fileRate = ingest(files, "env-1");

const orchestrator = new FakeOrchestrator();
orchestrator.add("env-1");
const flags = new MemoryFlagSource();
flags.add("env-1", {
  "new-checkout": { type: "boolean", default: false },
  "banner-text": { type: "string", default: "Welcome" },
  "page-size": { type: "number", default: 20 },
});
const token = "bench-token";
const server = await startHttpServer({
  app: createApp({
    orchestrator,
    logger: silentLogger,
    config: { token, heartbeatMs: 60_000 },
    logs: files,
    flags,
  }),
  host: "127.0.0.1",
  port: 0,
  logger: silentLogger,
});

// Follow latency: one line at a time, timed from append to its arrival at the subscriber.
const controller = new AbortController();
const response = await fetch(`${server.url}/v1/environments/env-1/logs?follow=true&tail=0&app=bench`, {
  headers: { authorization: `Bearer ${token}` },
  signal: controller.signal,
});
const sse = new SseReader(response);
await new Promise((r) => setTimeout(r, 200));
const latencies: number[] = [];
for (let i = 0; i < 1000; i++) {
  const started = performance.now();
  files.append("env-1", { app: "bench", stream: "stdout", line: `probe ${i}` });
  await sse.waitFor((e) => (e.data as { line: string }).line === `probe ${i}`, 5000);
  latencies.push(performance.now() - started);
}
controller.abort();
await sse.done;
latencies.sort((a, b) => a - b);

async function rate(
  route: string,
  method: "GET" | "POST",
  headers: Record<string, string> = {},
  duration = 5,
): Promise<number> {
  const result = await autocannon({
    url: `${server.url}${route}`,
    method,
    headers,
    ...(method === "POST" && { body: '{"context":{"targetingKey":"u1"}}' }),
    connections: 20,
    duration,
  });
  if (result.non2xx) throw new Error(`${route}: ${result.non2xx} non-2xx answers`);
  return result.requests.average;
}
const ofrepHeaders = { authorization: `Bearer ${token}`, "content-type": "application/json" };
await rate("/healthz", "GET", {}, 2); // warm-up
const healthz = await rate("/healthz", "GET");
const single = await rate("/v1/environments/env-1/ofrep/v1/evaluate/flags/banner-text", "POST", ofrepHeaders);
const bulk = await rate("/v1/environments/env-1/ofrep/v1/evaluate/flags", "POST", ofrepHeaders);

await server.close();
await files.close();
await rm(dir, { recursive: true, force: true });

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
console.log(`| measure | result | baseline | ratio |`);
console.log(`| --- | ---: | ---: | ---: |`);
console.log(
  `| log ingestion, lines/s (FileLogStore vs array push) | ${fmt(fileRate)} | ${fmt(arrayRate)} | ${(fileRate / arrayRate).toFixed(2)} |`,
);
console.log(
  `| log ingestion, lines/s (FileLogStore vs the old MemoryLogStore) | ${fmt(fileRate)} | ${fmt(memoryRate)} | ${(fileRate / memoryRate).toFixed(2)} |`,
);
console.log(
  `| follow latency p50 / p99, ms | ${percentile(latencies, 0.5).toFixed(2)} / ${percentile(latencies, 0.99).toFixed(2)} | | |`,
);
console.log(
  `| OFREP single evaluations/s (vs /healthz) | ${fmt(single)} | ${fmt(healthz)} | ${(single / healthz).toFixed(2)} |`,
);
console.log(
  `| OFREP bulk evaluations/s (vs /healthz) | ${fmt(bulk)} | ${fmt(healthz)} | ${(bulk / healthz).toFixed(2)} |`,
);
console.log(`\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} cores`);
