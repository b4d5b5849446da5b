import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../logger.ts";
import { startHttpServer } from "../http-server.ts";
import type { GitHubIntegration } from "../github/create-github.ts";
import { createApp } from "./create-app.ts";
import { FakeOrchestrator } from "./fake-orchestrator.test-helper.ts";
import { jsonBody, readJson, startTestApi, type TestApi } from "./test-server.test-helper.ts";

let api: TestApi;
afterEach(() => api?.close());

describe("GitHub routes without GitHub settings", () => {
  it("the webhook skips the bearer token (its signature is its auth) and answers 503: disabled", async () => {
    api = await startTestApi({ token: "secret" });
    const response = await api.request("/v1/github/webhook", { method: "POST", body: "{}" });
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(await readJson(response)).toMatchObject({ type: "github-not-configured", status: 503 });
  });

  it("the comment route needs the bearer token, validates its body, and answers 503 without GITHUB_TOKEN", async () => {
    api = await startTestApi({ token: "secret" });
    const path = "/v1/environments/x/github/comment";
    expect((await api.request(path, jsonBody({ repo: "a/b", pr: 1 }))).status).toBe(401);
    const auth = { headers: { authorization: "Bearer secret" } };
    const bad = await api.request(path, jsonBody({ repo: "nope", pr: 0 }, auth));
    expect(bad.status).toBe(400);
    const problem = await readJson(bad);
    expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual(["pr", "repo"]);
    const off = await api.request(path, jsonBody({ repo: "a/b", pr: 1 }, auth));
    expect(off.status).toBe(503);
    expect((await readJson(off)).detail).toContain("GITHUB_TOKEN");
  });
});

/**
 * Sends the headers of a 25 MB webhook delivery and only its first kilobyte: an answer that comes
 * anyway was given without reading (or waiting for) the body. Resolves with the raw answer.
 */
async function deliverHeadersOnly(url: string, headers: Record<string, string>): Promise<string> {
  const socket = net.connect(Number(new URL(url).port), "127.0.0.1");
  socket.write(
    [
      "POST /v1/github/webhook HTTP/1.1",
      "Host: 127.0.0.1",
      "Content-Type: application/json",
      `Content-Length: ${25 * 1024 * 1024}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ].join("\r\n") + "x".repeat(1024),
  );
  let answer = "";
  socket.setEncoding("utf8").on("data", (chunk) => (answer += chunk));
  await new Promise((resolve) => socket.once("close", resolve));
  return answer;
}

describe("the webhook refuses from its headers, before reading a body", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function start(github: Pick<GitHubIntegration, "receiver">) {
    const app = createApp({ orchestrator: new FakeOrchestrator(), logger: silentLogger, config: {}, github });
    const server = await startHttpServer({ app, host: "127.0.0.1", port: 0, logger: silentLogger });
    closers.push(server.close);
    return server.url;
  }

  it("when the webhook is disabled: 503, and the connection closes", async () => {
    const answer = await deliverHeadersOnly(await start({}), {});
    expect(answer).toMatch(/^HTTP\/1\.1 503/);
    expect(answer).toContain("github-not-configured");
  });

  it("when the signature header is missing or malformed: 401, and the receiver never runs", async () => {
    let received = 0;
    const receiver = {
      receive: async () => {
        received++;
        return { status: 200 as const, body: { status: "pong" as const } };
      },
    } as unknown as GitHubIntegration["receiver"];
    const url = await start({ receiver });
    const unsigned: Record<string, string>[] = [
      {},
      { "X-Hub-Signature-256": "sha256=abc" },
      { "X-Hub-Signature": "sha1=00" },
    ];
    for (const headers of unsigned) {
      const answer = await deliverHeadersOnly(url, headers);
      expect(answer).toMatch(/^HTTP\/1\.1 401/);
      expect(answer).toContain('"type":"unauthorized"');
    }
    expect(received).toBe(0);
  });
});
