/**
 * The proxy's keep-alive connections to apps: reused between requests, never shared between
 * environments, never carrying a stray byte of one answer into the next, retired when the
 * environment changes (a redeploy's switchover), and a connection the app closed while idle
 * costs a GET nothing and fails anything else cleanly.
 */
import http from "node:http";
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeOrchestrator } from "../api/fake-orchestrator.test-helper.ts";
import { startHttpServer, type RunningHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { createPreviewProxy } from "./preview-proxy.ts";
import { listen, request } from "./proxy-requests.test-helper.ts";

describe("the preview proxy's connections to apps", () => {
  const orchestrator = new FakeOrchestrator();
  let proxy: RunningHttpServer;
  /** Answers with the connection's client port and the request's Host, so tests see which connection carried it. */
  let app: http.Server;
  const closedConnections: number[] = [];

  beforeAll(async () => {
    app = http.createServer((req, res) => {
      if (req.url === "/slow") {
        res.write("part one;");
        return setTimeout(() => res.end("part two"), 300);
      }
      res.end(
        JSON.stringify({
          port: req.socket.remotePort,
          host: req.headers.host,
          auth: req.headers.authorization,
        }),
      );
    });
    app.on("connection", (socket) => {
      const port = socket.remotePort!;
      socket.on("close", () => closedConnections.push(port));
    });
    const appUrl = await listen(app);
    for (const id of ["env-1", "env-2"]) {
      orchestrator.add(id, { status: "ready" });
      orchestrator.setDirectUrl(id, "web", appUrl); // the same address: a port passed to another environment
    }
    const handler = createPreviewProxy({ orchestrator, baseDomain: "localhost", logger: silentLogger });
    proxy = await startHttpServer({
      app: (_req, res) => res.end("api"),
      proxy: handler,
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await proxy.close();
    app.closeAllConnections();
    await new Promise((resolve) => app.close(resolve));
  });

  const seen = async (env: string) =>
    JSON.parse((await request(proxy.url, `web--${env}.localhost`)).body) as { port: number; host: string };

  it("reuses one connection for requests from different clients, each with its own Host", async () => {
    const first = await seen("env-1");
    const second = await seen("env-1");
    expect(second.port).toBe(first.port);
    expect(first.host).toBe("web--env-1.localhost");
  });

  it("never carries two environments' requests on one connection, even to the same address", async () => {
    const one = await seen("env-1");
    const two = await seen("env-2");
    expect(two.port).not.toBe(one.port);
    expect(two.host).toBe("web--env-2.localhost");
    expect((await seen("env-1")).port).toBe(one.port);
  });

  it("closes an environment's idle connections when it changes (a switchover), and opens new ones", async () => {
    const before = await seen("env-1");
    orchestrator.emit("env-1", {
      step: "start",
      app: "web",
      status: "info",
      message: "now serving from port 1",
    });
    await expect.poll(() => closedConnections).toContain(before.port);
    const after = await seen("env-1");
    expect(after.port).not.toBe(before.port);
  });

  it("lets a response that is still streaming finish on a retired connection", async () => {
    const slow = request(proxy.url, "web--env-2.localhost", "/slow");
    await new Promise((resolve) => setTimeout(resolve, 100));
    orchestrator.emit("env-2", { step: "start", status: "info", message: "changed" });
    expect(await slow).toEqual({ status: 200, body: "part one;part two" });
  });

  it("does not reuse a connection whose answer a client abandoned halfway", async () => {
    await new Promise<void>((resolve) => {
      const req = http.request(
        `${proxy.url}/slow`,
        { agent: false, headers: { host: "web--env-1.localhost" } },
        (res) => {
          res.once("data", () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.end();
    });
    const after = await seen("env-1");
    expect(after.host).toBe("web--env-1.localhost"); // a whole answer of its own, not the rest of /slow
    expect(JSON.stringify(after)).not.toContain("part two");
  });
});

describe("a connection the app closed or misused", () => {
  const orchestrator = new FakeOrchestrator();
  let proxy: RunningHttpServer;
  let upstream: net.Server;
  const received: string[] = [];
  afterEach(() => received.splice(0));

  beforeAll(async () => {
    // A raw app: the first request on a connection is answered (plus, for /smuggle, a second
    // answer nobody asked for); the second one on the same connection is met with a reset, as when
    // an app's keep-alive timeout closes the connection just as the request arrives.
    upstream = net.createServer((socket) => {
      let requests = 0;
      socket.on("data", (chunk) => {
        const head = chunk.toString("latin1");
        received.push(head.split("\r\n")[0]!);
        if (++requests > 1) return socket.resetAndDestroy();
        const body = head.startsWith("GET /smuggle") ? "first" : "fresh";
        const extra = head.startsWith("GET /smuggle")
          ? "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
          : "";
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nKeep-Alive: timeout=60\r\n\r\n${body}${extra}`,
        );
      });
      socket.on("error", () => undefined);
    });
    orchestrator.add("env-1", { status: "ready" });
    orchestrator.setDirectUrl("env-1", "web", await listen(upstream));
    const handler = createPreviewProxy({ orchestrator, baseDomain: "localhost", logger: silentLogger });
    proxy = await startHttpServer({
      app: (_req, res) => res.end("api"),
      proxy: handler,
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it("sends a GET again on a new connection when the pooled one was reset", async () => {
    expect(await request(proxy.url, "web--env-1.localhost", "/a")).toEqual({ status: 200, body: "fresh" });
    expect(await request(proxy.url, "web--env-1.localhost", "/b")).toEqual({ status: 200, body: "fresh" });
    expect(received).toEqual(["GET /a HTTP/1.1", "GET /b HTTP/1.1", "GET /b HTTP/1.1"]);
  });

  it("answers 502 for a POST on a reset connection, and does not send it twice", async () => {
    expect(await request(proxy.url, "web--env-1.localhost", "/c")).toEqual({ status: 200, body: "fresh" });
    const post = await request(proxy.url, "web--env-1.localhost", "/order", "POST", "{}");
    expect(post.status).toBe(502);
    expect(received.filter((line) => line.startsWith("POST"))).toEqual(["POST /order HTTP/1.1"]);
  });

  it("never hands an answer nobody asked for to the next request", async () => {
    expect(await request(proxy.url, "web--env-1.localhost", "/smuggle")).toEqual({
      status: 200,
      body: "first",
    });
    const next = await request(proxy.url, "web--env-1.localhost", "/next");
    expect(next).toEqual({ status: 200, body: "fresh" });
  });
});
