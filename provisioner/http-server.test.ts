import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { startHttpServer } from "./http-server.ts";
import { silentLogger } from "./logger.ts";

describe("startHttpServer", () => {
  it("close() ends streaming responses and upgraded sockets instead of waiting for them", async () => {
    const app: http.RequestListener = (_req, res) => res.writeHead(200).write("streaming forever");
    const server = await startHttpServer({
      app,
      upgradeHandlers: [() => true], // keeps the socket without answering
      host: "127.0.0.1",
      port: 0,
      logger: silentLogger,
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await new Promise<void>((resolve) => http.get(server.url, () => resolve()));
    const upgraded = net.connect(Number(new URL(server.url).port), "127.0.0.1");
    upgraded.on("error", () => {});
    upgraded.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));

    await server.close();
    expect(server.server.listening).toBe(false);
    upgraded.destroy();
  });

  it("answers an upgrade nobody claims with 404", async () => {
    const server = await startHttpServer({ app: () => {}, host: "127.0.0.1", port: 0, logger: silentLogger });
    try {
      const socket = net.connect(Number(new URL(server.url).port), "127.0.0.1");
      socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
      const answer = await new Promise<string>((resolve) =>
        socket.once("data", (data) => resolve(String(data))),
      );
      expect(answer).toMatch(/^HTTP\/1\.1 404/);
      socket.destroy();
    } finally {
      await server.close();
    }
  });
});
