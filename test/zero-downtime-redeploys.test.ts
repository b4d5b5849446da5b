/**
 * A redeploy replaces an app without downtime, on the process and the docker runtime: the new
 * process or container starts beside the old one, the proxy switches to it once it is healthy,
 * and the old one stops then. Polled through the proxy every 50 ms from before the redeploy until
 * after it is ready, the app answers only 2xx, then with its new version; another app calling it
 * through its internalUrl keeps answering, without a restart of its own. A new version that
 * fails its health check leaves the old one serving (the environment `failed`, saying why), and
 * the next redeploy updates it again. The front that keeps an app's address (fronts/app-front.ts)
 * comes back if it dies. After delete nothing is left: no process, no container.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvironmentView, RuntimeName } from "../provisioner/environments/environment-schema.ts";
import { nodeBaseImage } from "./helpers/docker-base-image.ts";
import { docker, labelledObjects, skipDocker } from "./helpers/docker-engine.ts";
import { fixtureBaseImage } from "./helpers/docker-fixture.ts";
import { startDockerHarness } from "./helpers/docker-harness.ts";
import { createGitRepo, type GitFixture } from "./helpers/git-fixture.ts";
import { getViaProxy, startHarness, type Harness } from "./helpers/previewd-harness.ts";
import { eventually, labelledProcesses } from "./helpers/processes.ts";

const manifest = `version: 1
name: swap
apps:
  api:
    path: apps/api
    start: node server.js
    health: /healthz
    docker: { dockerfile: apps/api/Dockerfile, context: ., port: 8080 }
  web:
    path: apps/web
    start: node server.js
    health: /healthz
    env:
      API_URL: \${apps.api.internalUrl}
    depends_on: [api]
    docker: { dockerfile: apps/web/Dockerfile, context: ., port: 8081 }
`;

/**
 * Takes a second and a half to listen, like a framework warming up; version `broken` exits on
 * start. Handles SIGTERM as servers do: finishes what it serves, then exits.
 */
const apiServer = `const http = require("node:http");
const version = require("./version.js");
if (version === "broken") { console.error("api broken: cannot start"); process.exit(1); }
const server = http.createServer((req, res) => res.end(req.url === "/healthz" ? "ok" : "api " + version));
setTimeout(() => server.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1"), 1500);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

/** Calls api through its internalUrl on every request (a new connection each time); 502 when it cannot. */
const webServer = `const http = require("node:http");
const boot = Math.random().toString(36).slice(2);
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (req.url === "/boot") return res.end(boot);
  http.get(process.env.API_URL + "/", { agent: false }, (api) => {
    let body = "";
    api.setEncoding("utf8").on("data", (chunk) => (body += chunk)).on("end", () => {
      res.statusCode = api.statusCode === 200 ? 200 : 502;
      res.end("web sees " + body);
    });
  }).on("error", (error) => {
    // Node's happy eyeballs fails with an AggregateError (no message) when every address failed.
    const why = (error.errors ?? [error]).map((e) => e.message).join("; ");
    res.statusCode = 502;
    res.end("web cannot reach api: " + why);
  });
});
server.listen(Number(process.env.PORT), process.env.HOST ?? "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

const dockerfile = (app: string) => `FROM ${fixtureBaseImage}
WORKDIR /app
COPY apps/${app}/ ./
CMD ["node", "server.js"]
`;

const version = (text: string) => ({ "apps/api/version.js": `module.exports = ${JSON.stringify(text)};\n` });

interface Answer {
  app: string;
  status: number;
  body: string;
}

/** GETs every host through the proxy every 50 ms until stopped; resolves with every answer. */
function poll(origin: string, hosts: Record<string, string>): { stop(): Promise<Answer[]> } {
  const answers: Answer[] = [];
  let stopped = false;
  const running = (async () => {
    while (!stopped) {
      await Promise.all(
        Object.entries(hosts).map(async ([app, host]) => {
          const reply = await getViaProxy(origin, host).catch((error: unknown) => ({
            status: 0,
            body: String(error),
          }));
          answers.push({ app, ...reply });
        }),
      );
      await sleep(50);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await running;
      return answers;
    },
  };
}

type SuiteHarness = Harness & { owner?: string };

function zeroDowntimeSuite(runtime: RuntimeName, start: () => Promise<SuiteHarness>, timeoutMs: number) {
  let harness: SuiteHarness;
  let repo: GitFixture;
  let env: EnvironmentView;
  const hosts = () => ({ api: new URL(env.apps.api!.url).host, web: new URL(env.apps.web!.url).host });
  const view = async () => (await harness.request<EnvironmentView>("GET", `/v1/environments/${env.id}`)).body;
  const webBoot = async () => (await getViaProxy(harness.url, hosts().web, "/boot")).body;

  /** Redeploys `commit` and waits for the update to settle; resolves with the environment then. */
  async function redeploy(commit: string): Promise<EnvironmentView> {
    expect((await harness.request("POST", `/v1/environments/${env.id}/redeploy`)).status).toBe(202);
    return eventually(async () => {
      const current = await view();
      expect(current.commit).toBe(commit);
      expect(["ready", "failed"]).toContain(current.status);
      return current;
    }, timeoutMs);
  }

  beforeAll(async () => {
    harness = await start();
    repo = await createGitRepo({
      "preview.yaml": manifest,
      ".dockerignore": ".git\n",
      "apps/api/server.js": apiServer,
      "apps/api/Dockerfile": dockerfile("api"),
      ...version("v1"),
      "apps/web/server.js": webServer,
      "apps/web/Dockerfile": dockerfile("web"),
    });
    const created = await harness.create({ repo: repo.dir, runtime }, timeoutMs / 1000);
    env = created.body;
    expect(env.status, JSON.stringify(env.error)).toBe("ready");
  }, timeoutMs);

  afterAll(async () => {
    await harness?.close();
    await repo?.remove();
  });

  it.sequential(
    "answers only 2xx through the proxy while an app is replaced, then with its new version",
    { timeout: timeoutMs },
    async () => {
      expect((await getViaProxy(harness.url, hosts().web)).body).toBe("web sees api v1");
      const boot = await webBoot();
      const polling = poll(harness.url, hosts());
      await sleep(300); // Answers from before the redeploy too.
      const updated = await redeploy(await repo.commit(version("v2"), "api v2"));
      expect(updated.status, JSON.stringify(updated.error)).toBe("ready");
      await eventually(async () => {
        expect((await getViaProxy(harness.url, hosts().web)).body).toBe("web sees api v2");
      });
      await sleep(300);
      const answers = await polling.stop();

      expect(answers.filter((a) => a.status < 200 || a.status >= 300)).toEqual([]);
      const bodies = (app: string) => [...new Set(answers.filter((a) => a.app === app).map((a) => a.body))];
      expect(bodies("api")).toEqual(["api v1", "api v2"]);
      expect(bodies("web")).toEqual(["web sees api v1", "web sees api v2"]);
      // The caller was not restarted: the same process (or container) answers.
      expect(await webBoot()).toBe(boot);
      expect(updated.apps.api?.directUrl).toBe(env.apps.api?.directUrl);
      expect(await (await fetch(updated.apps.api!.directUrl!)).text()).toBe("api v2");
    },
  );

  it.sequential(
    "keeps the old app serving when the new one fails its health check",
    { timeout: 2 * timeoutMs },
    async () => {
      const before = runtime === "docker" ? await labelledObjects(harness.owner!, env.id) : undefined;
      const polling = poll(harness.url, hosts());
      const failed = await redeploy(await repo.commit(version("broken"), "api broken"));
      const answers = await polling.stop();

      expect(failed.status).toBe("failed");
      expect(failed.error).toMatchObject({ step: "health", app: "api" });
      expect(failed.error!.logTail.join("\n")).toContain("api broken: cannot start");
      // What served before still does, and shows as such.
      expect(failed.apps.api).toMatchObject({ status: "healthy", directUrl: env.apps.api!.directUrl });
      expect(answers.filter((a) => a.status < 200 || a.status >= 300)).toEqual([]);
      expect((await getViaProxy(harness.url, hosts().api)).body).toBe("api v2");
      expect((await getViaProxy(harness.url, hosts().web)).body).toBe("web sees api v2");
      // The failed one left nothing behind.
      if (before) expect(await labelledObjects(harness.owner!, env.id)).toEqual(before);

      // The next redeploy updates it, without downtime again.
      const fixed = await redeploy(await repo.commit(version("v3"), "api v3"));
      expect(fixed, JSON.stringify(fixed.error)).toMatchObject({ status: "ready", error: null });
      expect((await getViaProxy(harness.url, hosts().api)).body).toBe("api v3");
    },
  );

  it.sequential("brings an app's front back on its port when it dies", { timeout: timeoutMs }, async () => {
    const front = () =>
      harness.previewd.orchestrator.record(env.id).deployment!.apps.api!.handle.front as { pid: number };
    const killed = front().pid;
    process.kill(killed, "SIGKILL");
    await eventually(async () => {
      expect(front().pid).not.toBe(killed);
      expect(await (await fetch(env.apps.api!.directUrl!)).text()).toBe("api v3");
      expect((await getViaProxy(harness.url, hosts().web)).body).toBe("web sees api v3");
    }, 30_000);
  });

  it.sequential(
    "leaves no process and no container behind once deleted",
    { timeout: timeoutMs },
    async () => {
      expect(labelledProcesses(env.id).length).toBeGreaterThan(0);
      const deleted = await harness.request("DELETE", `/v1/environments/${env.id}?wait=true`);
      expect(deleted.status).toBeLessThan(300);
      expect(labelledProcesses(env.id)).toEqual([]);
      if (runtime === "docker")
        expect(await labelledObjects(harness.owner!, env.id)).toEqual({
          containers: [],
          networks: [],
          volumes: [],
        });
      for (const url of [env.apps.api!.directUrl!, env.apps.web!.directUrl!])
        await expect(fetch(url)).rejects.toThrow();
    },
  );
}

// The two runtimes' environments share nothing (each its own previewd): they run side by side, each
// suite's tests in order.
describe.concurrent("zero-downtime redeploys", () => {
  describe("zero-downtime redeploys on the process runtime", () => {
    zeroDowntimeSuite("process", () => startHarness(), 120_000);
  });

  describe.skipIf(skipDocker)("zero-downtime redeploys on the docker runtime", () => {
    zeroDowntimeSuite(
      "docker",
      async () => {
        const harness = await startDockerHarness();
        await nodeBaseImage(docker, { tags: [fixtureBaseImage] });
        return harness;
      },
      240_000,
    );
  });
});
