/**
 * The recording routes behind previewd's API (token check, problem+json), on fake browsers: no
 * ffmpeg on PATH is a 503 naming the Debian package before anything starts; bad input, unknown
 * environments and recordings are clear problems.
 */
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Router } from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../provisioner/api/create-app.ts";
import { FakeOrchestrator } from "../../provisioner/api/fake-orchestrator.test-helper.ts";
import { startHttpServer } from "../../provisioner/http-server.ts";
import { NotFoundError } from "../../provisioner/errors.ts";
import { silentLogger } from "../../provisioner/logger.ts";
import { findFfmpeg } from "./ffmpeg-executable.ts";
import { recordingRoutes } from "./recording-routes.ts";
import { RecordingStore } from "./recording-store.ts";
import { Recordings, type RecordingBrowsers } from "./recordings.ts";

const token = "s3cret";
let dir: string;
let url: string;
let close: () => Promise<void>;
let browserCalls = 0;

// Any use of the browser would count: the 503 must come before it.
const browsers: RecordingBrowsers = {
  running: () => {
    browserCalls++;
    return undefined;
  },
  acquire: () => {
    browserCalls++;
    return Promise.reject(new Error("no browser in this test"));
  },
};

function call(method: string, route: string, body?: unknown): Promise<Response> {
  return fetch(url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { "content-type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function startApi(ffmpegPath: string): Promise<void> {
  const recordings = new Recordings({
    browsers,
    store: new RecordingStore((envId) => path.join(dir, envId)),
    owner: "routes-test",
    ffmpeg: () => findFfmpeg({ PATH: ffmpegPath }),
    logger: silentLogger,
  });
  const requireEnvironment = (id: string) => {
    if (id !== "shop-1") throw new NotFoundError(`no environment ${JSON.stringify(id)}`);
    return { web: "http://web--shop-1.localhost:7070" };
  };
  const v1Routes = Router();
  v1Routes.use("/environments/:id/recordings", recordingRoutes({ requireEnvironment }, recordings));
  const app = createApp({
    orchestrator: new FakeOrchestrator(),
    logger: silentLogger,
    config: { token },
    devtools: { v1Routes, rootRoutes: Router() },
  });
  const server = await startHttpServer({ app, host: "127.0.0.1", port: 0, logger: silentLogger });
  url = server.url;
  close = server.close;
}

describe("recording routes", () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "previewd-recording-routes-"));
    // previewd started with a PATH that has no ffmpeg on it.
    await startApi(path.join(dir, "empty-bin"));
  });
  afterAll(async () => {
    await close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers 503 naming the Debian package when ffmpeg is not on PATH, before starting anything", async () => {
    const response = await call("POST", "/v1/environments/shop-1/recordings", {});
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await response.json()) as { type: string; detail: string };
    expect(problem.type).toContain("ffmpeg-unavailable");
    expect(problem.detail).toContain("apt-get install ffmpeg");
    expect(browserCalls).toBe(0);
  });

  it("names the field of a bad body, and the unknown environment", async () => {
    const bad = await call("POST", "/v1/environments/shop-1/recordings", { targetId: 7, fps: 60 });
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { errors: { path: string; message: string }[] };
    expect(problem.errors.map((e) => e.path).sort()).toEqual(["fps", "targetId"]);
    expect((await call("POST", "/v1/environments/nope/recordings", {})).status).toBe(404);
    expect(browserCalls).toBe(0);
  });

  it("answers 404 for a recording it does not know, stopped or fetched", async () => {
    const stop = await call("POST", "/v1/environments/shop-1/recordings/abc-123/stop");
    expect(stop.status).toBe(404);
    expect(((await stop.json()) as { detail: string }).detail).toContain('no recording "abc-123"');
    expect((await call("GET", "/v1/environments/shop-1/recordings/abc-123.webm")).status).toBe(404);
  });

  it("asks for the token like every /v1 route", async () => {
    const response = await fetch(`${url}/v1/environments/shop-1/recordings`, { method: "POST" });
    expect(response.status).toBe(401);
  });
});
