import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { createFixtureRepo } from "./helpers/fixture-monorepo.ts";
import { getViaProxy, startHarness, type Harness } from "./helpers/previewd-harness.ts";

let harness: Harness;
let env: EnvironmentView;

beforeAll(async () => {
  harness = await startHarness();
  env = (await harness.create({ repo: createFixtureRepo().dir })).body;
});
afterAll(async () => harness?.close());

describe("the preview proxy", () => {
  it("serves each app by its Host header", async () => {
    const host = new URL(env.apps.web!.url).host;
    expect(host).toBe(`web--${env.id}.localhost:${new URL(harness.url).port}`);
    const page = await getViaProxy(harness.url, host);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`<p id=host>${host}</p>`);
    const api = await getViaProxy(harness.url, new URL(env.apps.api!.url).host, "/healthz");
    expect(JSON.parse(api.body)).toEqual({ ok: true });
  });

  it("upgrades WebSockets", async () => {
    const { port } = new URL(harness.url);
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      headers: { host: new URL(env.apps.web!.url).host },
    });
    const reply = await new Promise<string>((resolve, reject) => {
      socket.on("open", () => socket.send("ping"));
      socket.on("message", (data) => resolve(String(data)));
      socket.on("error", reject);
    });
    socket.close();
    expect(reply).toBe("echo:ping");
  });

  it("answers 404 for an unknown preview host, naming the known environments", async () => {
    const { port } = new URL(harness.url);
    const reply = await getViaProxy(harness.url, `web--nope.localhost:${port}`);
    expect(reply.status).toBe(404);
    expect(reply.body).toContain(env.id);
  });
});
