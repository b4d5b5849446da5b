import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProvisionError } from "../../errors.ts";
import { silentLogger } from "../../logger.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import type { Deployment, Runtime, RuntimeEnvironment } from "../runtime.ts";
import { portFree } from "./port-allocator.ts";
import { stopGroups } from "./process-group.ts";
import { scanProcesses } from "./process-scan.ts";
import { labelVariables } from "./process-labels.ts";
import { createProcessRuntime } from "./process-runtime.ts";
import { ownerDir, rootHome } from "./postgres-home.ts";
import { recordingContext } from "../../../test/helpers/runtime-context.ts";
import { runnerWorktree, runtimeEnvironment } from "../../../test/helpers/runner-worktree.ts";
import { vendorModules } from "../../../test/helpers/vendored-modules.ts";

const owner = `test-${randomBytes(4).toString("hex")}`;
const worktrees: string[] = [];
const runtimeOptions = { ownerId: owner, logger: silentLogger, healthTimeoutMs: 15_000, stopGraceMs: 2_000 };

const files: Record<string, string> = {
  ".gitignore": "dist/\n.install-count\n",
  "package.json": '{ "private": true }\n',
  "package-lock.json": '{ "lockfileVersion": 3 }\n',
  "packages/shared/greeting.js": 'module.exports = "hello";\n',
  "apps/api/server.js": `
const http = require("node:http");
const greeting = require("../../packages/shared/greeting.js");
const { Client } = require("pg");
let client;
async function db() {
  if (!client) {
    client = new Client({ connectionString: process.env.DATABASE_URL });
    client.on("error", () => (client = undefined));
    await client.connect();
    await client.query("create table if not exists notes (body text)");
  }
  return client;
}
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://x");
    if (url.pathname === "/healthz") return res.end("ok");
    if (url.pathname === "/env") return res.end(JSON.stringify(process.env));
    if (url.pathname === "/notes" && req.method === "POST") {
      await (await db()).query("insert into notes values ($1)", [url.searchParams.get("body")]);
      return res.end("saved");
    }
    if (url.pathname === "/notes") {
      const result = await (await db()).query("select body from notes");
      return res.end(JSON.stringify(result.rows.map((r) => r.body)));
    }
    if (url.pathname === "/log") {
      console.log("api says " + url.searchParams.get("text"));
      return res.end("logged");
    }
    res.writeHead(404).end();
  } catch (error) {
    res.writeHead(500).end(String(error));
  }
});
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log("api listening, " + greeting);
  console.error("api warming up");
});
process.on("SIGTERM", () => process.exit(0));
`,
  "apps/web/build.js": `
const fs = require("node:fs");
fs.mkdirSync(__dirname + "/dist", { recursive: true });
fs.writeFileSync(__dirname + "/dist/out.txt", "built at " + Date.now());
console.log("web built");
`,
  "apps/web/server.js": `
const http = require("node:http");
const built = require("node:fs").readFileSync(__dirname + "/dist/out.txt", "utf8");
http
  .createServer(async (req, res) => {
    if (req.url === "/healthz") return res.end("ok");
    if (req.url === "/built") return res.end(built);
    if (req.url === "/api") {
      const answer = await fetch(process.env.API_URL + "/healthz");
      return res.end("api answered " + (await answer.text()));
    }
    res.writeHead(404).end();
  })
  .listen(Number(process.env.PORT), "127.0.0.1", () => console.log("web listening"));
`,
};

const app = (path: string, start: string, extra: Partial<Manifest["apps"][string]> = {}) => ({
  path,
  start,
  health: "/healthz",
  env: {},
  depends_on: [],
  ...extra,
});

const shopManifest: Manifest = {
  version: 1,
  name: "shop",
  install: "echo installing && echo x >> .install-count",
  services: { db: { type: "postgres", database: "shop" } },
  apps: {
    api: app("apps/api", "node server.js", {
      env: { DATABASE_URL: "${services.db.url}", WEB_URL: "${apps.web.url}" },
      depends_on: ["db"],
    }),
    web: app("apps/web", "node server.js", {
      build: "node build.js",
      env: { API_URL: "${apps.api.internalUrl}" },
      depends_on: ["api"],
    }),
  },
  flags: {},
  seed: { scenarios: "seed-scenarios" },
};

let base: string;
const runtimes: Runtime[] = [];
const envIds = new Set<string>();

function newRuntime(): Runtime {
  const runtime = createProcessRuntime(runtimeOptions);
  runtimes.push(runtime);
  return runtime;
}

/** A commit checked out as previewd checks one out: a worktree in previewd's worktree folder. */
async function makeRepo(name: string): Promise<string> {
  const root = await runnerWorktree(base, owner, name, files, (repo, git) => {
    vendorModules(repo, ["pg"]);
    git("add", "-f", "node_modules"); // pg ships dist/, which the fixture ignores
  });
  worktrees.push(root);
  return root;
}

async function makeEnv(id: string, manifest: Manifest): Promise<RuntimeEnvironment> {
  envIds.add(id);
  const rootDir = await makeRepo(id);
  const dataDir = join(base, "data", id);
  await mkdir(dataDir, { recursive: true });
  return runtimeEnvironment(id, rootDir, dataDir, manifest, "feature/x");
}

const makeContext = recordingContext;

async function get(url: string, init?: RequestInit): Promise<string> {
  const response = await fetch(url, init);
  expect(response.status).toBe(200);
  return response.text();
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pid = (deployment: Deployment, app: string) => deployment.apps[app]?.handle.pid;
const servicePid = (deployment: Deployment, name: string) => deployment.services[name]?.handle.pid;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "process-runtime-"));
});

afterAll(async () => {
  const cleaner = newRuntime();
  for (const id of envIds) await cleaner.destroy(id, join(base, "data", id));
  await cleaner.reconcile(new Set());
  await Promise.all(runtimes.map((r) => r.close()));
  for (const worktree of worktrees) await rm(worktree, { recursive: true, force: true });
  // As root, this owner's folder in the root layout (its worktrees, previewd-run's HOME) goes too.
  if (process.getuid?.() === 0) await rm(ownerDir(rootHome, owner), { recursive: true, force: true });
  await rm(base, { recursive: true, force: true });
});

describe("process runtime: an environment's life", () => {
  let env: RuntimeEnvironment;
  let runtime: Runtime;
  let deployment: Deployment;
  let provisioned: ReturnType<typeof makeContext>;

  beforeAll(async () => {
    env = await makeEnv("shop-life", shopManifest);
    runtime = newRuntime();
    await runtime.checkAvailable();
    provisioned = makeContext();
    deployment = await runtime.provision(env, provisioned.ctx);
  });

  it("starts the database and both apps, healthy, in dependency order", async () => {
    expect(deployment.runtime).toBe("process");
    expect(deployment.services.db).toMatchObject({ type: "postgres", status: "running" });
    expect(deployment.services.db?.url).toBe(deployment.services.db?.internalUrl);
    expect(deployment.services.db?.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/shop$/);
    expect(deployment.apps.api?.status).toBe("healthy");
    expect(deployment.apps.web?.status).toBe("healthy");
    const started = provisioned.events
      .filter((e) => e.step === "health" && e.status === "succeeded")
      .map((e) => e.app);
    expect(started).toEqual(["api", "web"]);
    const steps = new Set(provisioned.events.map((e) => `${e.step}:${e.status}`));
    for (const s of ["install:succeeded", "build:succeeded", "services:succeeded", "start:started"])
      expect(steps).toContain(s);
    expect(provisioned.checkpoints.length).toBeGreaterThanOrEqual(3);
    expect(provisioned.checkpoints.at(-1)).toEqual(deployment);
  });

  it("hands each app its interpolated env, PORT and PREVIEW_* variables", async () => {
    const vars = JSON.parse(await get(`${deployment.apps.api?.directUrl}/env`)) as Record<string, string>;
    expect(vars).toMatchObject({
      PORT: String(deployment.apps.api?.handle.port),
      DATABASE_URL: deployment.services.db?.internalUrl,
      WEB_URL: env.appUrls.web,
      PREVIEW_ENV_ID: "shop-life",
      PREVIEW_REF: "feature/x",
      PREVIEW_COMMIT: "abc123",
      PREVIEW_FLAGS_URL: env.flagsUrl,
      PREVIEW_FLAGS_TOKEN: "flags-token",
      PREVIEW_URL_API: env.appUrls.api,
      PREVIEW_URL_WEB: env.appUrls.web,
      PREVIEWD_OWNER: owner,
      PREVIEWD_ENV_ID: "shop-life",
    });
    expect(await get(`${deployment.apps.web?.directUrl}/api`)).toBe("api answered ok");
    expect(await get(`${deployment.apps.web?.directUrl}/built`)).toMatch(/^built at/);
  });

  it("lets apps use their own Postgres", async () => {
    expect(await get(`${deployment.apps.api?.directUrl}/notes?body=first`, { method: "POST" })).toBe("saved");
    expect(JSON.parse(await get(`${deployment.apps.api?.directUrl}/notes`))).toEqual(["first"]);
  });

  it("captures app, service and step output into the log store", async () => {
    await get(`${deployment.apps.api?.directUrl}/log?text=ping`);
    const { logs } = provisioned;
    await eventually(() => logs.query(env.id, { grep: "api says ping" }).length === 1);
    expect(
      logs.query(env.id, { apps: ["api"], streams: ["stdout"], grep: "api listening, hello" }),
    ).toHaveLength(1);
    expect(logs.query(env.id, { apps: ["api"], streams: ["stderr"], grep: "api warming up" })).toHaveLength(
      1,
    );
    expect(logs.query(env.id, { apps: ["web"], grep: "web built" })).toHaveLength(1);
    expect(logs.query(env.id, { apps: ["previewd"], grep: "installing" })).toHaveLength(1);
    expect(logs.query(env.id, { apps: ["db"], grep: "ready to accept connections" }).length).toBeGreaterThan(
      0,
    );
    const labelled = await scanProcesses({ owner, envId: env.id });
    expect(new Set(labelled.map((p) => p.name))).toEqual(new Set(["api", "web", "db"]));
  });

  it("exec runs a command in the app's path with its environment, labelled, output captured", async () => {
    const { ctx, logs } = makeContext();
    await runtime.adopt(env, deployment, ctx); // any context: the env state exists already
    const script = 'pwd; echo "db=$DATABASE_URL port=$PORT extra=$EXTRA role=$PREVIEWD_ROLE"; echo oops >&2';
    const result = await runtime.exec(env, deployment, "api", script, { env: { EXTRA: "yes" } });
    expect(result.exitCode).toBe(0);
    expect(result.output).toEqual([
      join(env.rootDir, "apps/api"),
      `db=${deployment.services.db?.internalUrl} port=${deployment.apps.api?.handle.port} extra=yes role=exec`,
      "oops",
    ]);
    await eventually(() => logs.query(env.id, { apps: ["api"], grep: "extra=yes" }).length === 1);

    const failed = await runtime.exec(env, deployment, "api", "echo before; exit 3", {});
    expect(failed).toEqual({ exitCode: 3, output: ["before"] });
    const slow = await runtime.exec(env, deployment, "api", "sleep 30", { timeoutMs: 300 });
    expect(slow.exitCode).toBe(-1);
    expect(slow.output.at(-1)).toBe("stopped after 300 ms");
    expect((await scanProcesses({ owner, envId: env.id })).filter((p) => p.role === "exec")).toEqual([]);
  });

  it("update restarts only the app whose inputs changed, on the same port, keeping the data", async () => {
    await writeFile(join(env.rootDir, "apps/web/server.js"), `${files["apps/web/server.js"]}\n// v2\n`);
    const updating = makeContext(provisioned.logs);
    const updated = await runtime.update(env, deployment, updating.ctx);
    expect(pid(updated, "api")).toBe(pid(deployment, "api"));
    expect(servicePid(updated, "db")).toBe(servicePid(deployment, "db"));
    expect(pid(updated, "web")).not.toBe(pid(deployment, "web"));
    expect(updated.apps.web?.directUrl).toBe(deployment.apps.web?.directUrl);
    expect(updated.apps.web?.inputHash).not.toBe(deployment.apps.web?.inputHash);
    expect(updated.apps.api?.inputHash).toBe(deployment.apps.api?.inputHash);
    const status = (step: string, app?: string) =>
      updating.events.find((e) => e.step === step && e.app === app && e.status !== "started")?.status;
    expect(status("install")).toBe("skipped");
    expect(status("build", "web")).toBe("succeeded");
    expect(status("start", "api")).toBe("skipped");
    expect(await readFile(join(env.rootDir, ".install-count"), "utf8")).toBe("x\n");
    expect(await get(`${updated.apps.web?.directUrl}/api`)).toBe("api answered ok");
    expect(JSON.parse(await get(`${updated.apps.api?.directUrl}/notes`))).toEqual(["first"]);
    // Nothing was connected to the old web process: it stops while the update is done already.
    const old = pid(deployment, "web");
    await eventually(async () => !(await scanProcesses({ owner, envId: env.id })).some((p) => p.pid === old));
    deployment = updated;

    // Nothing changed since: nothing restarts, nothing rebuilds.
    const again = await runtime.update(env, deployment, makeContext(provisioned.logs).ctx);
    expect(pid(again, "web")).toBe(pid(deployment, "web"));
    expect(pid(again, "api")).toBe(pid(deployment, "api"));
  });

  it("update brings a stopped database back on the same URL, with its data", async () => {
    await stopGroups([{ pgid: servicePid(deployment, "db") as number, role: "service" }], 2_000);
    const updated = await runtime.update(env, deployment, makeContext(provisioned.logs).ctx);
    expect(servicePid(updated, "db")).not.toBe(servicePid(deployment, "db"));
    expect(updated.services.db?.url).toBe(deployment.services.db?.url);
    expect(pid(updated, "api")).toBe(pid(deployment, "api"));
    expect(JSON.parse(await get(`${updated.apps.api?.directUrl}/notes`))).toEqual(["first"]);
    deployment = updated;
  });

  it("a new previewd adopts the running environment, resumes its logs and stops what is not on record", async () => {
    // previewd stopped while a replaced web process was still draining: labelled, not on record.
    const stray = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      detached: true,
      stdio: "ignore",
      env: { ...process.env, ...labelVariables({ owner, envId: env.id, role: "app", name: "web" }) },
    });
    stray.unref();
    await eventually(async () =>
      (await scanProcesses({ owner, envId: env.id })).some((p) => p.pid === stray.pid),
    );
    await runtime.close();
    const next = newRuntime();
    const adopting = makeContext();
    const adopted = await next.adopt(env, deployment, adopting.ctx);
    expect(adopted).toEqual(deployment);
    expect(await scanProcesses({ owner, envId: env.id })).not.toContainEqual(
      expect.objectContaining({ pid: stray.pid }),
    );
    await get(`${deployment.apps.api?.directUrl}/log?text=after-restart`);
    await eventually(() => adopting.logs.query(env.id, { grep: "after-restart" }).length === 1);
    // Only new lines: what came before the restart was captured by the previous instance.
    expect(adopting.logs.query(env.id, { grep: "api listening" })).toHaveLength(0);
    expect(await next.reconcile(new Set([env.id]))).toEqual([]);
    runtime = next;
  });

  it("refuses to adopt a deployment whose processes are gone or not ours", async () => {
    const stale = structuredClone(deployment);
    stale.apps.web!.handle.pid = process.pid;
    expect(await newRuntime().adopt(env, stale, makeContext().ctx)).toBeUndefined();
  });

  it("a previewd that forgot the environment finds and removes it with reconcile", async () => {
    const forgetful = newRuntime();
    expect(await forgetful.reconcile(new Set(["some-other-env"]))).toEqual([env.id]);
    expect(await scanProcesses({ owner, envId: env.id })).toEqual([]);
    for (const port of [deployment.apps.api, deployment.apps.web].map((a) => a?.handle.port as number)) {
      expect(await portFree(port)).toBe(true);
    }
    expect(await portFree(deployment.services.db?.handle.port as number)).toBe(true);
  });
});

describe("process runtime: failures and teardown", () => {
  it("a failing app gives a ProvisionError with its log tail and leaves nothing running", async () => {
    const manifest: Manifest = {
      ...shopManifest,
      install: undefined,
      apps: {
        bad: app(".", `node -e "console.log('starting bad'); console.error('boom'); process.exit(1)"`, {
          depends_on: ["db"],
        }),
      },
    };
    const env = await makeEnv("shop-bad", manifest);
    const runtime = newRuntime();
    const { ctx, checkpoints, events } = makeContext();
    const error = await runtime.provision(env, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionError);
    const failure = error as ProvisionError;
    expect(failure).toMatchObject({ step: "health", app: "bad" });
    expect(failure.message).toContain("exited with code 1");
    expect(failure.logTail).toEqual(expect.arrayContaining(["starting bad", "boom"]));
    expect(events.at(-1)).toMatchObject({ step: "health", app: "bad", status: "failed" });
    expect(await scanProcesses({ owner, envId: env.id })).toEqual([]);
    const last = checkpoints.at(-1);
    const ports = [last?.services.db?.handle.port, last?.apps.bad?.handle.port] as number[];
    expect(ports.every((p) => typeof p === "number")).toBe(true);
    for (const port of ports) expect(await portFree(port)).toBe(true);
  });

  it("a failing build fails the build step with its output", async () => {
    const manifest: Manifest = {
      ...shopManifest,
      install: undefined,
      services: {},
      apps: { web: app("apps/web", "node server.js", { build: "echo compiling; exit 3" }) },
    };
    const env = await makeEnv("shop-badbuild", manifest);
    const error = await newRuntime()
      .provision(env, makeContext().ctx)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ step: "build", app: "web", logTail: ["compiling"] });
    expect((error as Error).message).toContain("exited with code 3");
  });

  it("destroy stops every process of the environment, Postgres included, and is idempotent", async () => {
    const env = await makeEnv("shop-destroy", shopManifest);
    const runtime = newRuntime();
    const deployment = await runtime.provision(env, makeContext().ctx);
    expect((await scanProcesses({ owner, envId: env.id })).length).toBeGreaterThanOrEqual(3);
    await runtime.destroy(env.id, env.dataDir);
    expect(await scanProcesses({ owner, envId: env.id })).toEqual([]);
    expect(await portFree(deployment.services.db?.handle.port as number)).toBe(true);
    expect(await portFree(deployment.apps.api?.handle.port as number)).toBe(true);
    await expect(stat(join(env.dataDir, "services"))).rejects.toThrow();
    // As root the cluster lives outside the data dir (postgres-home.ts): gone too.
    await expect(stat(deployment.services.db?.handle.dataDir as string)).rejects.toThrow();
    await runtime.destroy(env.id, env.dataDir);
    expect(await newRuntime().adopt(env, deployment, makeContext().ctx)).toBeUndefined();
  });
});
