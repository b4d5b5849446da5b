import { Router } from "express";
import { afterEach, describe, expect, it } from "vitest";
import { NotFoundError } from "../errors.ts";
import { silentLogger } from "../logger.ts";
import { startHttpServer } from "../http-server.ts";
import { PreviewdMetrics } from "../metrics/previewd-metrics.ts";
import { createApp } from "./create-app.ts";
import { FakeOrchestrator } from "./fake-orchestrator.test-helper.ts";

describe("GET /metrics", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function start(token?: string) {
    const orchestrator = new FakeOrchestrator();
    const metrics = new PreviewdMetrics({ defaultMetrics: false });
    metrics.watchEnvironments({ list: () => orchestrator.list(), onStatusChange: () => () => undefined });
    // Routers mounted under a parameter, like the CDP bridge's: their base URL holds the raw id.
    const nested = Router({ mergeParams: true });
    nested.get("/json/version", () => {
      throw new NotFoundError("no such environment");
    });
    nested.get(["/json", "/json/list"], (_req, res) => void res.json([]));
    const devtools = Router();
    devtools.use("/environments/:id/devtools", nested);
    const app = createApp({
      orchestrator,
      logger: silentLogger,
      config: { ...(token && { token }) },
      metrics,
      devtools: { v1Routes: devtools, rootRoutes: Router() },
    });
    const server = await startHttpServer({ app, host: "127.0.0.1", port: 0, logger: silentLogger });
    closers.push(server.close);
    return { url: server.url, orchestrator };
  }

  it("answers Prometheus text, to the token holder when a token is set", async () => {
    const { url, orchestrator } = await start("s3cret");
    orchestrator.add("shop-main-1a2b", { status: "ready" });

    const refused = await fetch(`${url}/metrics`);
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain("previewd_");
    const response = await fetch(`${url}/metrics`, { headers: { authorization: "Bearer s3cret" } });

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain("# TYPE previewd_environments gauge");
    expect(text).toContain('previewd_environments{status="ready",runtime="process"} 1');
  });

  it("counts API requests by route pattern, never by raw path", async () => {
    const { url, orchestrator } = await start();
    orchestrator.add("shop-main-1a2b", { status: "ready" });
    await fetch(`${url}/v1/environments/shop-main-1a2b`);
    await fetch(`${url}/v1/environments/nope`);
    await fetch(`${url}/no/such/route`);

    const text = await (await fetch(`${url}/metrics`)).text();

    expect(text).toContain(
      'previewd_http_requests_total{method="GET",route="/v1/environments/:id",status="200"} 1',
    );
    expect(text).toContain(
      'previewd_http_requests_total{method="GET",route="/v1/environments/:id",status="404"} 1',
    );
    expect(text).toContain('previewd_http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).not.toContain("shop-main-1a2b");
  });

  it("labels routes under mounted routers by their template, so 1,000 bogus ids make no new series", async () => {
    const { url } = await start();
    for (let n = 0; n < 1000; n++) {
      await fetch(`${url}/v1/environments/x${n}/devtools/json/version`);
      if (n % 100 === 0) await fetch(`${url}/v1/environments/x${n}/devtools/json/list`);
      if (n % 100 === 0) await fetch(`${url}/x${n}/nothing`);
    }

    const text = await (await fetch(`${url}/metrics`)).text();

    expect(text).toContain(
      'previewd_http_requests_total{method="GET",route="/v1/environments/:id/devtools/json/version",status="404"} 1000',
    );
    expect(text).toContain(
      'previewd_http_requests_total{method="GET",route="/v1/environments/:id/devtools(/json|/json/list)",status="200"} 10',
    );
    expect(text).toContain('previewd_http_requests_total{method="GET",route="unmatched",status="404"} 10');
    expect(text).not.toMatch(/x\d+/);
    expect(text.length).toBeLessThan(20_000);
  });
});
