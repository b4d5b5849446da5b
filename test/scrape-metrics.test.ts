import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { startHarness, type Harness } from "./helpers/previewd-harness.ts";

let harness: Harness;
let repo: FixtureRepo;

beforeAll(async () => {
  repo = createFixtureRepo();
  harness = await startHarness({ token: "metrics-token" });
});
afterAll(async () => harness?.close());

const auth = { authorization: "Bearer metrics-token" };
const phases = ["worktree", "install", "build", "services", "start", "seed"];

/** GET / of a preview by its Host, with the token (previews are protected when a token is set). */
function getPreview(host: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(harness.url);
    const req = http.request({ host: "127.0.0.1", port, path: "/", headers: { host, ...auth } }, (res) => {
      res.resume().on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", reject).end();
  });
}

function routes(text: string): string[] {
  return [...new Set([...text.matchAll(/route="([^"]*)"/g)].map((match) => match[1]!))];
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("scraping previewd with Prometheus", () => {
  it("sees environments, provisioning phases, API and proxy traffic and log lines, with the token", async () => {
    const created = await harness.request<{ id: string; status: string; timings: Record<string, number> }>(
      "POST",
      "/v1/environments?wait=true&timeout=120",
      { repo: repo.dir },
      auth,
    );
    expect(created.body.status).toBe("ready");
    // Every phase SPEC names is there, 0 when there was nothing to do (this fixture builds nothing).
    expect(Object.keys(created.body.timings)).toEqual([...phases, "total"]);
    expect(created.body.timings.build).toBe(0);
    const preview = await getPreview(`web--${created.body.id}.localhost`);
    expect(preview.status).toBe(200);

    expect((await fetch(`${harness.url}/metrics`)).status).toBe(401);
    const response = await fetch(`${harness.url}/metrics`, { headers: auth });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();

    expect(sample(text, 'previewd_environments{status="ready",runtime="process"}')).toBe(1);
    for (const phase of [...phases, "total"]) {
      expect(
        sample(
          text,
          `previewd_provisioning_phase_duration_seconds_count{phase="${phase}",runtime="process",outcome="ready"}`,
        ),
        phase,
      ).toBe(1);
    }
    expect(
      sample(text, 'previewd_http_requests_total{method="POST",route="/v1/environments",status="201"}'),
    ).toBe(1);
    expect(sample(text, 'previewd_proxy_requests_total{kind="http",status="200"}')).toBe(1);
    expect(sample(text, 'previewd_log_lines_ingested_total{stream="system"}')).toBeGreaterThan(0);
    expect(sample(text, 'previewd_log_lines_ingested_total{stream="stdout"}')).toBeGreaterThan(0);
  });

  it("labels 1,000 requests for bogus environments by route template: /metrics stays small and names no id", async () => {
    const before = await (await fetch(`${harness.url}/metrics`, { headers: auth })).text();
    for (let n = 0; n < 1000; n++) {
      const reply = await fetch(`${harness.url}/v1/environments/x${n}/devtools/json/version`, {
        headers: auth,
      });
      expect(reply.status).toBe(404);
      await reply.arrayBuffer();
    }
    const after = await (await fetch(`${harness.url}/metrics`, { headers: auth })).text();

    expect(
      sample(
        after,
        'previewd_http_requests_total{method="GET",route="/v1/environments/:id/devtools/json/version",status="404"}',
      ),
    ).toBe(1000);
    expect(after).not.toMatch(/x\d+\//);
    // One new route label, not a thousand; the issue saw /metrics reach 46.8 MB after 20,000.
    expect(routes(after).filter((route) => !routes(before).includes(route))).toEqual([
      "/v1/environments/:id/devtools/json/version",
    ]);
    expect(after.length).toBeLessThan(100_000);
  });
});
