import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { probeInterval, unhealthyMessage, waitHealthy } from "./health-check.ts";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

async function listen(status: number): Promise<number> {
  server = createServer((req, res) => res.writeHead(req.url === "/healthz" ? status : 404).end());
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return typeof address === "object" && address ? address.port : 0;
}

const base = {
  path: "/healthz",
  timeoutMs: 1_000,
  signal: new AbortController().signal,
  exitCode: () => undefined,
};

describe("waitHealthy", () => {
  it("accepts 2xx and 3xx", async () => {
    expect(await waitHealthy({ ...base, port: await listen(204) })).toEqual({ ok: true });
  });

  it("leaves no keep-alive connection open on the app (a redeploy's drain waits for every one)", async () => {
    const port = await listen(200);
    const headers: (string | undefined)[] = [];
    server?.on("request", (req) => headers.push(req.headers.connection));
    expect(await waitHealthy({ ...base, port })).toEqual({ ok: true });
    expect(headers).toEqual(["close"]);
    await new Promise((resolve) => setImmediate(resolve));
    const open = await new Promise<number>((resolve) => server?.getConnections((_, n) => resolve(n)));
    expect(open).toBe(0);
  });

  it("tries a port nothing listens on with a bare connect, and asks over HTTP once something listens", async () => {
    const port = await listen(200);
    await new Promise((resolve) => server?.close(resolve));
    const late = createServer((_, res) => res.writeHead(200).end());
    const fetches = vi.spyOn(globalThis, "fetch");
    let tries = 0;
    const exitCode = () => {
      tries += 1;
      if (tries === 5) late.listen(port, "127.0.0.1");
      return undefined;
    };
    try {
      expect(await waitHealthy({ ...base, intervalMs: 10, port, exitCode })).toEqual({ ok: true });
      expect(tries).toBeGreaterThanOrEqual(5);
      expect(fetches).toHaveBeenCalledTimes(1);
    } finally {
      fetches.mockRestore();
      await new Promise((resolve) => late.close(resolve));
    }
  });

  it("probes 10 ms apart while nothing listens, for the first 5 s of a start; an app answering badly less and less often", () => {
    // A Node server is up 150–300 ms into its start here: probes growing apart noticed it late.
    expect([0, 150, 300, 1_000, 4_999].map((ms) => probeInterval(ms, 0))).toEqual([10, 10, 10, 10, 10]);
    expect(probeInterval(5_000, 0)).toBe(100);
    expect([1, 2, 3, 4, 5, 6, 7].map((answered) => probeInterval(300, answered))).toEqual([
      10, 15, 23, 34, 51, 76, 100,
    ]);
  });

  it("times out on errors, naming the last one", async () => {
    const result = await waitHealthy({ ...base, timeoutMs: 300, port: await listen(500) });
    expect(result).toEqual({ ok: false, reason: "timeout", lastError: "answered 500" });
  });

  it("stops early when the process has exited", async () => {
    const started = Date.now();
    const result = await waitHealthy({ ...base, timeoutMs: 10_000, port: 1, exitCode: () => 3 });
    expect(result).toEqual({ ok: false, reason: "exited", exitCode: 3 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("asks an asynchronous exit code too (a container's comes from the engine)", async () => {
    const result = await waitHealthy({ ...base, timeoutMs: 10_000, port: 1, exitCode: async () => 137 });
    expect(result).toEqual({ ok: false, reason: "exited", exitCode: 137 });
  });

  it("stops on abort", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await waitHealthy({ ...base, timeoutMs: 10_000, port: 1, signal: controller.signal });
    expect(result).toEqual({ ok: false, reason: "aborted" });
  });
});

describe("unhealthyMessage", () => {
  it("says why, naming the app", () => {
    expect(unhealthyMessage("web", "/healthz", 500, { ok: false, reason: "exited", exitCode: 3 })).toBe(
      "web exited with code 3 before becoming healthy",
    );
    expect(
      unhealthyMessage("web", "/healthz", 500, { ok: false, reason: "timeout", lastError: "ECONNREFUSED" }),
    ).toBe("web was not healthy at /healthz within 500 ms (ECONNREFUSED)");
    expect(unhealthyMessage("web", "/", 500, { ok: false, reason: "aborted" })).toBe(
      "web: aborted while waiting for health",
    );
  });
});
