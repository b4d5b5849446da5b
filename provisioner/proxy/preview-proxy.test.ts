import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { FakeOrchestrator } from "../api/fake-orchestrator.test-helper.ts";
import { startHttpServer, type RunningHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { createPreviewProxy } from "./preview-proxy.ts";

/** Node cannot resolve *.localhost, so requests go to 127.0.0.1 with the preview Host header. */
function get(
  url: string,
  host: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { host } }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on("error", reject);
  });
}

describe("preview proxy", () => {
  let upstream: http.Server;
  let echo: WebSocketServer;
  let server: RunningHttpServer;
  let apiHits = 0;
  let upstreamUrl: string;
  const orchestrator = new FakeOrchestrator();

  /** Sends `message` over a WebSocket through the proxy as `host`, and answers the reply. */
  async function echoThrough(host: string, message: string): Promise<string> {
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/socket`, { headers: { host } });
    try {
      return await new Promise<string>((resolve, reject) => {
        socket.on("open", () => socket.send(message));
        socket.on("message", (data) => resolve(String(data)));
        socket.on("error", reject);
      });
    } finally {
      socket.close();
    }
  }

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          url: req.url,
          host: req.headers.host,
          forwardedFor: req.headers["x-forwarded-for"],
        }),
      );
    });
    echo = new WebSocketServer({ server: upstream });
    echo.on("connection", (socket) => socket.on("message", (data) => socket.send(`echo: ${data}`)));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    orchestrator.add("env-1", { status: "ready" });
    orchestrator.setDirectUrl("env-1", "web", upstreamUrl);
    orchestrator.add("env-2", {
      status: "provisioning",
      apps: { web: { url: "http://web--env-2.localhost", directUrl: null, status: "building" } },
    });
    orchestrator.add("env-3", { status: "ready" });
    orchestrator.setDirectUrl("env-3", "web", "http://127.0.0.1:1"); // nothing listens on port 1

    const proxy = createPreviewProxy({ orchestrator, baseDomain: "localhost", logger: silentLogger });
    const app: http.RequestListener = (_req, res) => {
      apiHits++;
      res.end("api");
    };
    server = await startHttpServer({ app, proxy, host: "127.0.0.1", port: 0, logger: silentLogger });
  });

  afterAll(async () => {
    await server.close();
    echo.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it("proxies <app>--<env>.<base-domain> to the app, keeping the preview Host", async () => {
    const response = await get(`${server.url}/products?page=2`, "web--env-1.localhost:7070");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      url: "/products?page=2",
      host: "web--env-1.localhost:7070",
      forwardedFor: "127.0.0.1",
    });
  });

  it("goes to the app's instance when its runtime names one, past the relay its directUrl is", async () => {
    orchestrator.add("env-4", { status: "ready" });
    orchestrator.setDirectUrl("env-4", "web", "http://127.0.0.1:1"); // nothing listens on port 1
    orchestrator.setInstanceUrl("env-4", "web", upstreamUrl);
    const response = await get(`${server.url}/direct`, "web--env-4.localhost");
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ url: "/direct", host: "web--env-4.localhost" });
    expect(await echoThrough("web--env-4.localhost", "direct")).toBe("echo: direct");
  });

  it("leaves other hosts to the API", async () => {
    const before = apiHits;
    const response = await get(`${server.url}/healthz`, "127.0.0.1:7070");
    expect(response.body).toBe("api");
    expect(apiHits).toBe(before + 1);
  });

  it("proxies WebSockets", async () => {
    expect(await echoThrough("web--env-1.localhost:7070", "hello")).toBe("echo: hello");
  });

  it("answers an unknown preview host with 404 naming the environments", async () => {
    const response = await get(`${server.url}/`, "api--env-9.localhost:7070");
    expect(response.status).toBe(404);
    expect(response.body).toContain("No preview at api--env-9.localhost");
    expect(response.body).toContain("env-1 (ready)");
    expect(response.body).toContain("web: http://web--env-1.localhost:7070");
  });

  it("rejects a WebSocket to an unknown preview host", async () => {
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/`, {
      headers: { host: "x--y.localhost" },
    });
    const status = await new Promise<number>((resolve) => {
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("error", () => resolve(-1));
    });
    expect(status).toBe(404);
  });

  it("answers 503 for a known app that is not running", async () => {
    const response = await get(`${server.url}/`, "web--env-2.localhost");
    expect(response.status).toBe(503);
    expect(response.body).toContain("App web of environment env-2 is not running (app: building");
  });

  it("answers 502 when the app does not answer, and keeps serving", async () => {
    const response = await get(`${server.url}/`, "web--env-3.localhost");
    expect(response.status).toBe(502);
    expect(response.body).toContain("did not answer");
    expect((await get(`${server.url}/`, "web--env-1.localhost")).status).toBe(200);
  });
});
