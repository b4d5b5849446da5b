/**
 * An agent reads every log line of its environment and flips its flags with no restart: logs by
 * app, stream, time and grep, followed live, kept across a restart of previewd; flags read by the
 * real OpenFeature server SDK through the OFREP provider, with the environment's own token; both
 * live streams end when the environment is deleted.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView } from "../provisioner/environments/environment-schema.ts";
import { SseReader } from "../provisioner/api/sse-reader.test-helper.ts";
import { createFixtureRepo, type FixtureRepo } from "./helpers/fixture-monorepo.ts";
import { vendorModules } from "./helpers/vendored-modules.ts";
import { getViaProxy, startHarness, temporaryDataDir, type Harness } from "./helpers/previewd-harness.ts";
import { eventually, labelledProcesses } from "./helpers/processes.ts";
import { cli, freePort } from "./helpers/serve-process.ts";
import { shopModules, shopRequire } from "./helpers/shop-modules.ts";

const run = promisify(execFile);
const token = "logs-and-flags-token";
const auth = { authorization: `Bearer ${token}` };

// The web app reads its flags with OpenFeature and the OFREP provider, as any app would.
const flagsServer = `import http from "node:http";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { OpenFeature } = require("@openfeature/server-sdk");
const { OFREPProvider } = require("@openfeature/ofrep-provider");
await OpenFeature.setProviderAndWait(new OFREPProvider({
  baseUrl: process.env.PREVIEW_FLAGS_URL,
  headers: [["Authorization", "Bearer " + process.env.PREVIEW_FLAGS_TOKEN]],
}));
const flags = OpenFeature.getClient();
const server = http.createServer(async (req, res) => {
  if (req.url === "/healthz") { res.writeHead(200); return res.end("ok"); }
  const greeting = await flags.getStringDetails("greeting", "unreachable");
  const loud = await flags.getBooleanValue("loud", false);
  console.log("served " + req.url + " with greeting " + greeting.value);
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ pid: process.pid, greeting: loud ? greeting.value.toUpperCase() : greeting.value, reason: greeting.reason, error: greeting.errorCode ?? null }));
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => { console.log("web listening on " + process.env.PORT); console.error("web: flags from " + process.env.PREVIEW_FLAGS_URL); });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

interface OpenFeatureApi {
  setProviderAndWait(provider: unknown): Promise<void>;
  getClient(): { getStringValue(key: string, fallback: string): Promise<string> };
  close(): Promise<void>;
}

let harness: Harness;
let repo: FixtureRepo;
let env: EnvironmentView;
let port: number;
const dataDir = temporaryDataDir();

function api<T = unknown>(method: string, route: string, body?: unknown) {
  return harness.request<T>(method, route, body, auth);
}

async function logLines(
  query: string,
): Promise<Array<{ ts: string; app: string; stream: string; line: string }>> {
  const reply = await api<string>("GET", `/v1/environments/${env.id}/logs${query}`);
  expect(reply.status).toBe(200);
  // The harness parses a one-line answer as JSON; an empty one is undefined.
  const text =
    reply.body === undefined
      ? ""
      : typeof reply.body === "string"
        ? reply.body
        : `${JSON.stringify(reply.body)}\n`;
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function page(): Promise<{ pid: number; greeting: string; reason: string; error: string | null }> {
  // With a token set, previews ask for it too.
  const response = await getViaProxy(harness.url, new URL(env.apps.web!.url).host, "/", auth);
  expect(response.status, response.body).toBe(200);
  return JSON.parse(response.body);
}

beforeAll(async () => {
  // A database (for its log lines) and one app that reads flags; the fixture's api is not needed here.
  const manifest = `version: 1
name: fixture
services:
  db: { type: postgres }
apps:
  web: { path: apps/web, start: node flags-server.js, health: /healthz, depends_on: [db] }
flags:
  greeting: { type: string, default: hello }
  loud: { type: boolean, default: false }
  page-size: { type: number, default: 20 }
`;
  repo = createFixtureRepo({ files: { "preview.yaml": manifest, "apps/web/flags-server.js": flagsServer } });
  // The OpenFeature SDK the flags app imports, committed like the fixture's other packages.
  vendorModules(repo.dir, ["@openfeature/server-sdk", "@openfeature/ofrep-provider"], shopModules);
  repo.git("add", "-f", "node_modules");
  repo.git("commit", "-q", "-m", "vendor the OpenFeature SDK");
  // A fixed port: the apps' PREVIEW_FLAGS_URL must still reach previewd after its restart.
  port = await freePort();
  harness = await startHarness({ dataDir, token, port });
  const created = await api<EnvironmentView>("POST", "/v1/environments?wait=true&timeout=120", {
    repo: repo.dir,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  env = created.body;
  expect(env.status, JSON.stringify(env.error)).toBe("ready");
});

afterAll(async () => {
  await harness?.close();
  expect(labelledProcesses(env?.id ?? "none")).toEqual([]);
});

describe("reading an environment's logs", () => {
  it("holds app stdout and stderr, Postgres and previewd's own steps", async () => {
    // Right after `ready` the tailers may not have read the apps' last lines yet.
    const all = await eventually(async () => {
      const lines = await logLines("?tail=5000");
      const apps = new Set(lines.map((e) => e.app));
      expect([...apps]).toEqual(expect.arrayContaining(["web", "db", "previewd"]));
      expect(lines).toContainEqual(
        expect.objectContaining({
          app: "web",
          stream: "stdout",
          line: expect.stringMatching(/^web listening on \d+$/),
        }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({
          app: "web",
          stream: "stderr",
          line: expect.stringMatching(/^web: flags from http/),
        }),
      );
      return lines;
    });
    expect(all.filter((e) => e.app === "previewd").every((e) => e.stream === "system")).toBe(true);
  });

  it("filters by app, stream, since, grep and tail", async () => {
    const web = await eventually(async () => {
      const lines = await logLines("?app=web");
      expect(lines.length).toBeGreaterThan(0);
      return lines;
    });
    expect(web.every((e) => e.app === "web")).toBe(true);
    const stderr = await eventually(async () => {
      const lines = await logLines("?app=web&stream=stderr");
      expect(lines.length).toBeGreaterThan(0);
      return lines;
    });
    expect(stderr.map((e) => e.line)).toEqual([expect.stringMatching(/^web: flags from/)]);
    const grep = await eventually(async () => {
      const lines = await logLines(`?grep=${encodeURIComponent("/listening on \\d+/")}`);
      expect(lines.length).toBeGreaterThan(0);
      return lines;
    });
    expect(grep.map((e) => e.app)).toEqual(["web"]);
    expect(await logLines("?since=2099-01-01T00:00:00Z")).toEqual([]);
    expect(await logLines("?tail=3")).toHaveLength(3);
  });

  it("greps with RE2: the pattern that froze previewd answers at once; backreferences are a 400", async () => {
    // Anyone who can reach a preview plants the line: the app logs "served /aaa…a! with greeting …".
    const planted = `/${"a".repeat(27)}!`;
    expect((await getViaProxy(harness.url, new URL(env.apps.web!.url).host, planted, auth)).status).toBe(200);
    await eventually(async () => expect(await logLines(`?app=web&grep=${planted}`)).toHaveLength(1));
    // With JavaScript's backtracking RegExp this took 17.6 s, doubling with each `a`, and froze
    // the API, the proxy and the bridge meanwhile. (Anchored at "served", so no other line, say a
    // worktree path whose hash ends in "a", can match.)
    expect(await logLines(`?grep=${encodeURIComponent("/^served \\/(a+)+$/")}`)).toEqual([]);
    const matched = await logLines(`?grep=${encodeURIComponent("/^served \\/(a+)+! with/")}`);
    expect(matched.map((e) => e.line)).toEqual([`served ${planted} with greeting hello`]);
    expect((await api("GET", "/healthz")).status).toBe(200);

    const refused = await api<{ errors: unknown[] }>(
      "GET",
      `/v1/environments/${env.id}/logs?grep=${encodeURIComponent("/(a+)\\1$/")}`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      {
        path: "query.grep",
        message: expect.stringMatching(/^unsupported backreference `\\1`: grep patterns use RE2/),
      },
    ]);
  });

  it("follows: a line the app writes after subscribing arrives within 1 s", async () => {
    const controller = new AbortController();
    const response = await fetch(`${harness.url}/v1/environments/${env.id}/logs?follow=true&app=web&tail=0`, {
      headers: auth,
      signal: controller.signal,
    });
    const sse = new SseReader(response);
    try {
      await new Promise((r) => setTimeout(r, 100)); // let the subscription settle
      await page(); // the app logs "served / …"
      const received = await sse.waitFor(
        (e) => /^served \/ with greeting/.test((e.data as { line: string }).line),
        1000,
      );
      expect(received.data).toMatchObject({ app: "web", stream: "stdout" });
    } finally {
      controller.abort();
      await sse.done;
    }
  });

  it("prints them with `previewd logs`", async () => {
    const { stdout } = await run(
      process.execPath,
      [cli, "logs", env.id, "--server", harness.url, "--app", "web", "--grep", "listening"],
      {
        env: { ...process.env, PREVIEWD_TOKEN: token, NO_COLOR: "1" },
      },
    );
    expect(stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} web\s+\| web listening on \d+$/m);
    expect(stdout).not.toContain("\x1b[");
  });
});

describe("flipping an environment's flags", () => {
  it("changes what the running app serves, with no restart", async () => {
    const before = await page();
    expect(before).toMatchObject({ greeting: "hello", reason: "DEFAULT", error: null });

    const put = await api("PUT", `/v1/environments/${env.id}/flags/greeting`, { value: "bonjour" });
    expect(put.status).toBe(200);
    expect(await page()).toMatchObject({ pid: before.pid, greeting: "bonjour", reason: "STATIC" });

    const { stdout } = await run(
      process.execPath,
      [cli, "flags", env.id, "--server", harness.url, "loud=true", "page-size=5"],
      {
        env: { ...process.env, PREVIEWD_TOKEN: token },
      },
    );
    expect(stdout).toMatch(/^loud\s+boolean\s+true\s+\(default false\)$/m);
    expect(stdout).toMatch(/^page-size\s+number\s+5\s+\(default 20\)$/m);
    expect(await page()).toMatchObject({ pid: before.pid, greeting: "BONJOUR" });
  });

  it("logs every change with its old and new value", async () => {
    const changes = await logLines("?app=previewd&grep=flag ");
    expect(changes.map((e) => e.line)).toEqual(
      expect.arrayContaining([
        'flag greeting: "hello" -> "bonjour" (api)',
        "flag loud: false -> true (api)",
        "flag page-size: 20 -> 5 (api)",
      ]),
    );
  });

  it("rejects wrong types (400) and unknown flags (404)", async () => {
    expect((await api("PUT", `/v1/environments/${env.id}/flags/loud`, { value: "yes" })).status).toBe(400);
    expect((await api("PATCH", `/v1/environments/${env.id}/flags`, { nope: true })).status).toBe(404);
  });

  it("the OpenFeature server SDK with the OFREP provider sees a change without a restart", async () => {
    const { OpenFeature } = shopRequire("@openfeature/server-sdk") as { OpenFeature: OpenFeatureApi };
    const { OFREPProvider } = shopRequire("@openfeature/ofrep-provider") as {
      OFREPProvider: new (options: { baseUrl: string; headers: Array<[string, string]> }) => unknown;
    };
    await OpenFeature.setProviderAndWait(
      new OFREPProvider({
        baseUrl: `${harness.url}/v1/environments/${env.id}`,
        headers: [["Authorization", `Bearer ${token}`]],
      }),
    );
    try {
      const client = OpenFeature.getClient();
      expect(await client.getStringValue("greeting", "fallback")).toBe("bonjour");
      await api("PATCH", `/v1/environments/${env.id}/flags`, { greeting: "hola" });
      expect(await client.getStringValue("greeting", "fallback")).toBe("hola");
    } finally {
      await OpenFeature.close();
    }
  });
});

describe("after a restart of previewd", () => {
  it("still has the environment's logs", async () => {
    const before = await logLines("?tail=5000");
    await harness.close({ keepData: true });
    harness = await startHarness({ dataDir, token, port });
    const adopted = await api<EnvironmentView>("GET", `/v1/environments/${env.id}`);
    expect(adopted.body.status, JSON.stringify(adopted.body.error)).toBe("ready");
    const after = await logLines("?tail=5000");
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    expect(after.slice(0, before.length)).toEqual(before);
    // and the adopted app's new lines keep arriving
    await page();
    const served = await logLines("?app=web&grep=served&tail=1");
    expect(served).toHaveLength(1);
  });
});

describe("deleting the environment", () => {
  it("ends its log follow and its OFREP change stream", async () => {
    const open = (route: string) =>
      fetch(`${harness.url}/v1/environments/${env.id}${route}`, { headers: auth });
    const logs = new SseReader(await open("/logs?follow=true&tail=0"));
    const changes = new SseReader(await open("/ofrep/v1/events"));
    expect((await api("DELETE", `/v1/environments/${env.id}?wait=true`)).status).toBe(204);
    await Promise.all([logs.done, changes.done]);
    // The follow saw the deletion's own lines before it ended.
    const lines = logs.events.map((e) => (e.data as { line: string }).line);
    expect(lines).toContain("delete started: stopping everything");
    expect((await open("/logs?follow=true")).status).toBe(404);
  });
});
