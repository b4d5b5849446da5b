import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scanProcesses } from "../process/process-scan.ts";
import { frontRunning, pointFront, startFront, stopFront, stopFronts, type FrontPlace } from "./app-front.ts";
import { openConnections } from "./open-connections.ts";

/**
 * An HTTP server on a free loopback port answering `name` to everything; `slow`: its first byte
 * after 1.5 s (longer than a front waits on a quiet connection), the rest 100 ms after that.
 */
async function upstream(name: string, slow = false): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer((_req, res) => {
    if (!slow) return res.end(name);
    res.setHeader("content-length", name.length);
    setTimeout(() => {
      res.write(name.slice(0, 1));
      setTimeout(() => res.end(name.slice(1)), 100);
    }, 1_500);
  });
  server.keepAliveTimeout = 0; // Keeps an idle connection open for as long as the client does.
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, server };
}

async function freePort(): Promise<number> {
  const { port, server } = await upstream("probe");
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One raw HTTP/1.1 request on `socket` (kept alive), answering the body. */
function ask(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const [head = "", body = ""] = text.split("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? -1);
      if (length >= 0 && body.length >= length) {
        socket.off("data", onData);
        resolve(body);
      }
    };
    socket.on("data", onData);
    socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
  });
}

const get = async (port: number) =>
  (await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } })).text();

describe("an app's front", () => {
  let dataDir: string;
  let place: FrontPlace;
  const servers: http.Server[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "front-"));
    place = { owner: `front-${randomBytes(4).toString("hex")}`, envId: "env-a", dataDir, app: "web" };
  });
  afterAll(async () => {
    await stopFronts(place.owner, () => true);
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("forwards to its target; a new target takes every later connection, and idle old ones end", async () => {
    const a = await upstream("a");
    const b = await upstream("b");
    servers.push(a.server, b.server);
    const front = await startFront(place, await freePort(), a.port);
    expect(await frontRunning(place, front)).toBe(true);
    expect(await scanProcesses({ owner: place.owner })).toEqual([
      expect.objectContaining({ pid: front.pid, role: "front", envId: "env-a", name: "web" }),
    ]);

    const kept = net.connect(front.port, "127.0.0.1");
    expect(await ask(kept)).toBe("a");
    expect(await openConnections(process.pid, a.port)).toBe(1);

    const ended = once(kept, "end");
    await pointFront(place, b.port);
    expect(await get(front.port)).toBe("b");
    // Idle and kept alive, to the old instance: the front ends it, so the client's next request
    // opens a new connection, to the new instance, and the old one has nothing left to serve.
    await ended;
    await expect.poll(() => openConnections(process.pid, a.port)).toBe(0);
    kept.destroy();

    await stopFront(place, front);
    expect(await frontRunning(place, front)).toBe(false);
    await expect(get(front.port)).rejects.toThrow();
  });

  it("lets a connection waiting for its answer have all of it from the old instance", async () => {
    const slow = await upstream("slow a", true);
    const b = await upstream("b");
    servers.push(slow.server, b.server);
    const here = { ...place, app: "admin" };
    const front = await startFront(here, await freePort(), slow.port);

    const kept = net.connect(front.port, "127.0.0.1");
    await once(kept, "connect");
    const answer = ask(kept); // The switch comes while it waits.
    await expect.poll(() => openConnections(process.pid, slow.port)).toBe(1);
    const ended = once(kept, "end");
    await pointFront(here, b.port);
    expect(await get(front.port)).toBe("b");
    expect(await answer).toBe("slow a");
    await ended; // Then idle: ended.
    await expect.poll(() => openConnections(process.pid, slow.port)).toBe(0);
    kept.destroy();
    await stopFront(here, front);
  });

  it("fails with the reason when its port is taken", async () => {
    const taken = await upstream("taken");
    servers.push(taken.server);
    await expect(startFront({ ...place, app: "api" }, taken.port, taken.port)).rejects.toThrow(
      /api's front on port \d+ did not start: .*EADDRINUSE/,
    );
    expect(await scanProcesses({ owner: place.owner })).toEqual([]);
  });

  it("is not another environment's or app's front", async () => {
    const a = await upstream("a");
    servers.push(a.server);
    const front = await startFront(place, await freePort(), a.port);
    expect(await frontRunning({ ...place, app: "api" }, front)).toBe(false);
    expect(await frontRunning({ ...place, envId: "env-b" }, front)).toBe(false);
    expect(await stopFronts(place.owner, (envId) => envId === "env-b")).toEqual([]);
    expect(await stopFronts(place.owner, (envId) => envId === "env-a")).toEqual(["env-a"]);
    expect(await frontRunning(place, front)).toBe(false);
  });
});
