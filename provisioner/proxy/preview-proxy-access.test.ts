import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { FakeOrchestrator } from "../api/fake-orchestrator.test-helper.ts";
import { startHttpServer, type RunningHttpServer } from "../http-server.ts";
import { silentLogger } from "../logger.ts";
import { PreviewAccess } from "./preview-access.ts";
import { createPreviewProxy } from "./preview-proxy.ts";

const access = new PreviewAccess({ token: "secret" });
const session = `previewd_session=${access.sessionValue("env-1", new Date(Date.now() + 3_600_000))}`;

describe("a protected preview proxy", () => {
  let upstream: http.Server;
  let server: RunningHttpServer;
  const upgrades: http.IncomingHttpHeaders[] = [];
  const orchestrator = new FakeOrchestrator();

  beforeAll(async () => {
    upstream = http.createServer((_req, res) => res.end("app"));
    const sockets = new WebSocketServer({ server: upstream });
    sockets.on("connection", (socket, req) => {
      upgrades.push(req.headers);
      socket.send("hello");
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    orchestrator.add("env-1", { status: "ready" });
    orchestrator.setDirectUrl("env-1", "web", `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
    orchestrator.add("env-2", {
      status: "provisioning",
      apps: { web: { url: "http://web--env-2.localhost", directUrl: null, status: "building" } },
    });
    const proxy = createPreviewProxy({ orchestrator, baseDomain: "localhost", logger: silentLogger, access });
    server = await startHttpServer({
      app: (_req, res) => res.end("api"),
      proxy,
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
    });
  });

  afterAll(async () => {
    await server.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  function upgrade(path: string, headers: Record<string, string>): Promise<number | string> {
    const socket = new WebSocket(`${server.url.replace("http", "ws")}${path}`, {
      headers: { host: "web--env-1.localhost:7070", ...headers },
    });
    return new Promise((resolve) => {
      socket.on("message", (data) => {
        socket.close();
        resolve(String(data));
      });
      socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      socket.on("error", () => resolve(-1));
    });
  }

  it("refuses a WebSocket without the token or a session, before the app sees it", async () => {
    expect(await upgrade("/ws", {})).toBe(401);
    expect(await upgrade("/ws", { authorization: "Bearer nope" })).toBe(401);
    const share = new URL(
      access.shareUrl("http://web--env-1.localhost/", "env-1", new Date(Date.now() + 60_000)),
    );
    expect(await upgrade(`/ws${share.search}`, {})).toBe(401);
    expect(upgrades).toEqual([]);
  });

  it("passes a WebSocket with the session cookie or the token, without them", async () => {
    expect(await upgrade("/ws", { cookie: `${session}; theme=dark` })).toBe("hello");
    expect(await upgrade("/ws", { authorization: "Bearer secret" })).toBe("hello");
    expect(upgrades.map((headers) => [headers.cookie, headers.authorization])).toEqual([
      ["theme=dark", undefined],
      [undefined, undefined],
    ]);
  });

  it("asks for access before saying an app is not running", async () => {
    const refused = await new Promise<number>((resolve) =>
      http.get(server.url, { headers: { host: "web--env-2.localhost" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }),
    );
    expect(refused).toBe(401);
  });
});
