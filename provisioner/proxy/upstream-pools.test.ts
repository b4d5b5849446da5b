import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamPools } from "./upstream-pools.ts";

describe("upstream pools", () => {
  let app: http.Server;
  let port: number;
  const listeners = new Map<string, () => void>();
  const pools = new UpstreamPools({
    idleMs: 100,
    subscribe: (envId, listener) => {
      listeners.set(envId, listener);
      return () => listeners.delete(envId);
    },
  });

  beforeAll(async () => {
    app = http.createServer((req, res) => setTimeout(() => res.end("late"), req.url === "/slow" ? 400 : 0));
    await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
    port = (app.address() as AddressInfo).port;
  });
  afterAll(async () => {
    pools.close();
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  });

  const get = (agent: http.Agent, path: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path, agent }, (res) => {
          let body = "";
          res.on("data", (chunk) => (body += chunk)).on("end", () => resolve(body));
        })
        .on("error", reject);
    });

  it("waits for an answer slower than the idle time: only idle connections time out", async () => {
    expect(await get(pools.agentFor("env-1"), "/slow")).toBe("late");
  });

  it("listens to an environment while it has a pool, and gives it a new pool once it changed", async () => {
    const agent = pools.agentFor("env-2");
    expect(pools.agentFor("env-2")).toBe(agent);
    expect(listeners.has("env-2")).toBe(true);
    listeners.get("env-2")!();
    expect(listeners.has("env-2")).toBe(false);
    expect(pools.agentFor("env-2")).not.toBe(agent);
  });
});
