/**
 * A request that looked its app up just before a switchover and connects after the old instance
 * stopped: the connection is refused, nothing was sent, so the proxy looks the app up again and
 * sends the request once to the new instance. Anything it cannot send again as it is (a body
 * already read) and a refusal with no new instance on record still answer 502.
 */
import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeOrchestrator } from "../api/fake-orchestrator.test-helper.ts";
import { startHttpServer, type RunningHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { createPreviewProxy } from "./preview-proxy.ts";
import { listen, request } from "./proxy-requests.test-helper.ts";

const host = "web--env-1.localhost";

/** An address where nothing listens any more: the old instance, stopped. */
async function stoppedInstance(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe("a request caught by a switchover between its lookup and its connection", () => {
  const orchestrator = new FakeOrchestrator();
  const lookUp = orchestrator.resolveApp.bind(orchestrator);
  let proxy: RunningHttpServer;
  let newInstance: http.Server;
  let newUrl: string;
  let oldUrl: string;
  /** What the new instance received: method, path, Host, X-Forwarded-For. */
  const received: string[] = [];
  let lookups = 0;

  beforeAll(async () => {
    newInstance = http.createServer((req, res) => {
      let body = "";
      req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      req.on("end", () => {
        received.push(`${req.method} ${req.url} ${req.headers.host} ${req.headers["x-forwarded-for"]}`);
        res.end(`new instance${body ? `: ${body}` : ""}`);
      });
    });
    newUrl = await listen(newInstance);
    oldUrl = await stoppedInstance();
    orchestrator.add("env-1", { status: "ready" });
    orchestrator.setDirectUrl("env-1", "web", newUrl); // the front, which the proxy does not use here
    const handler = createPreviewProxy({ orchestrator, baseDomain: "localhost", logger: silentLogger });
    proxy = await startHttpServer({
      app: (_req, res) => res.end("api"),
      proxy: handler,
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
    });
  });

  afterEach(() => {
    received.splice(0);
    lookups = 0;
    orchestrator.resolveApp = lookUp;
  });

  afterAll(async () => {
    await proxy.close();
    newInstance.closeAllConnections();
    await new Promise((resolve) => newInstance.close(resolve));
  });

  /** The record names the old instance for this lookup, and the new one from the next on. */
  function switchOverAfterLookup(): void {
    orchestrator.setInstanceUrl("env-1", "web", oldUrl);
    orchestrator.resolveApp = (id, app) => {
      lookups++;
      const resolved = lookUp(id, app);
      orchestrator.setInstanceUrl("env-1", "web", newUrl);
      return resolved;
    };
  }

  it("sends a GET to the new instance, once, with the client's forwarded headers", async () => {
    switchOverAfterLookup();
    expect(await request(proxy.url, host, "/page")).toEqual({ status: 200, body: "new instance" });
    expect(lookups).toBe(2);
    expect(received).toEqual(["GET /page web--env-1.localhost 127.0.0.1"]);
  });

  it("sends a request of any method without a body to the new instance: the old one saw nothing", async () => {
    switchOverAfterLookup();
    expect(await request(proxy.url, host, "/items/1", "DELETE")).toEqual({
      status: 200,
      body: "new instance",
    });
    expect(received).toEqual(["DELETE /items/1 web--env-1.localhost 127.0.0.1"]);
  });

  it("answers 502 for a request whose body was already read, and the new instance never sees it", async () => {
    switchOverAfterLookup();
    const post = await request(proxy.url, host, "/order", "POST", '{"item":1}');
    expect(post.status).toBe(502);
    expect(post.body).toContain(oldUrl);
    expect(received).toEqual([]);
  });

  it("answers 502 once when the record still names the refused instance", async () => {
    orchestrator.setInstanceUrl("env-1", "web", oldUrl);
    orchestrator.resolveApp = (id, app) => {
      lookups++;
      return lookUp(id, app);
    };
    const reply = await request(proxy.url, host, "/page");
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("ECONNREFUSED");
    expect(lookups).toBe(2); // the route and one look again, no loop
    expect(received).toEqual([]);
  });

  it("looks again only once: a second refusal answers 502", async () => {
    const alsoStopped = await stoppedInstance();
    orchestrator.setInstanceUrl("env-1", "web", oldUrl);
    orchestrator.resolveApp = (id, app) => {
      lookups++;
      const resolved = lookUp(id, app);
      orchestrator.setInstanceUrl("env-1", "web", lookups === 1 ? alsoStopped : newUrl);
      return resolved;
    };
    const reply = await request(proxy.url, host, "/page");
    expect(reply.status).toBe(502);
    expect(reply.body).toContain(alsoStopped);
    expect(lookups).toBe(2);
    expect(received).toEqual([]);
  });
});
