/**
 * Redis and `command` services on the process runtime, with the real redis-server: started as
 * the environment's user on previewd's ports, labelled, restarted clean on request, supervised,
 * adopted by a new runtime and removed with the environment; a missing redis-server fails the
 * environment before anything starts.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../logger.ts";
import { MemoryLogStore } from "../../logs/memory-log-store.ts";
import { parseManifest } from "../../manifest/load-manifest.ts";
import { redisCommand } from "../../redis/redis-command.ts";
import type { Deployment, Runtime, RuntimeEnvironment, Supervision } from "../runtime.ts";
import { servicesFixtureFiles } from "../../../test/helpers/services-fixture.ts";
import { portFree } from "./port-allocator.ts";
import { scanProcesses } from "./process-scan.ts";
import { createProcessRuntime } from "./process-runtime.ts";
import { ownerDir, rootHome } from "./postgres-home.ts";
import { recordingContext } from "../../../test/helpers/runtime-context.ts";
import { runnerWorktree, runtimeEnvironment } from "../../../test/helpers/runner-worktree.ts";
import { runnerIds } from "./child-identity.ts";

const owner = `test-${randomBytes(4).toString("hex")}`;
const options = { ownerId: owner, logger: silentLogger, healthTimeoutMs: 15_000, stopGraceMs: 2_000 };
const runtimes: Runtime[] = [];
const envs: RuntimeEnvironment[] = [];
let base: string;

function newRuntime(): Runtime {
  const runtime = createProcessRuntime(options);
  runtimes.push(runtime);
  return runtime;
}

async function makeEnv(id: string): Promise<RuntimeEnvironment> {
  const rootDir = await runnerWorktree(base, owner, id, servicesFixtureFiles());
  const dataDir = join(base, "data", id);
  await mkdir(dataDir, { recursive: true });
  const manifest = parseManifest(servicesFixtureFiles()["preview.yaml"]!, "preview.yaml", "svcfix");
  const env = runtimeEnvironment(id, rootDir, dataDir, manifest);
  envs.push(env);
  return env;
}

const makeContext = recordingContext;

async function text(url: string, init?: RequestInit): Promise<string> {
  const response = await fetch(url, init);
  const body = await response.text();
  expect(response.status, `${url}: ${body}`).toBe(200);
  return body;
}

async function eventually<T>(check: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const handle = (deployment: Deployment, name: string) => deployment.services[name]!.handle;
const uidOf = async (pid: unknown) =>
  Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${Number(pid)}/status`, "utf8"))?.[1]);

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "process-services-"));
});

afterAll(async () => {
  const cleaner = newRuntime();
  for (const env of envs) await cleaner.destroy(env.id, env.dataDir);
  await Promise.all(runtimes.map((r) => r.close()));
  if (process.getuid?.() === 0) await rm(ownerDir(rootHome, owner), { recursive: true, force: true });
  await rm(base, { recursive: true, force: true });
});

describe("redis and command services on the process runtime", () => {
  let env: RuntimeEnvironment;
  let runtime: Runtime;
  let deployment: Deployment;
  let api: string;

  beforeAll(async () => {
    env = await makeEnv("svc-life");
    runtime = newRuntime();
    deployment = await runtime.provision(env, makeContext().ctx);
    api = deployment.apps.api!.directUrl;
  }, 120_000);

  it("gives the apps each service's URL and its parts, and the services reach each other", async () => {
    const cache = deployment.services.cache!;
    const twin = deployment.services.twin!;
    expect(cache).toMatchObject({ type: "redis", status: "running" });
    expect(cache.url).toBe(`redis://127.0.0.1:${handle(deployment, "cache").port}`);
    expect(twin).toMatchObject({ type: "command", status: "running" });
    expect(twin.url).toBe(`http://127.0.0.1:${handle(deployment, "twin").port}`);
    expect(deployment.services.mailer?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const seen = JSON.parse(await text(`${api}/env`)) as Record<string, string>;
    expect(seen.CACHE_URL).toBe(cache.internalUrl);
    expect(seen.TWIN_URL).toBe(twin.internalUrl);
    expect(seen.TWIN_ADDRESS).toBe(`127.0.0.1:${handle(deployment, "twin").port}`);

    expect(await text(`${api}/cache?set=hi`)).toBe("OK");
    expect(await text(`${api}/cache`)).toBe('"hi"');
    expect(await text(`${api}/charge`)).toBe("[1]");
    expect(await text(`${api}/charges`)).toBe("[1]");
    expect(await text(`${api}/mailer`)).toBe("220 mailer ready");
  });

  it("runs a command service in its path with HOST, PORT, the top-level env and its own env", async () => {
    const seen = JSON.parse(await text(`${deployment.services.twin!.url}/env`)) as Record<string, string>;
    expect(seen).toMatchObject({
      HOST: "127.0.0.1",
      PORT: String(handle(deployment, "twin").port),
      SHARED_GREETING: "hello from the top",
      TWIN_MODE: `sandbox ${env.id}`,
      PREVIEW_ENV_ID: env.id,
      PREVIEWD_ENV_ID: env.id,
      PREVIEWD_ROLE: "command",
      PREVIEWD_NAME: "twin",
    });
    expect(seen.PWD ?? "").toContain("twins/payments");
  });

  it("labels every service process, keeps redis' files in its folder, and runs them as the environment's user", async () => {
    const found = await scanProcesses({ owner, envId: env.id });
    const roles = Object.fromEntries(found.filter((p) => p.pid === p.pgid).map((p) => [p.name, p.role]));
    expect(roles).toMatchObject({ cache: "service", twin: "command", mailer: "command" });
    const dataDir = String(handle(deployment, "cache").dataDir);
    expect(await readdir(dataDir)).toContain("appendonlydir");
    const expectedUid = process.getuid?.() === 0 ? (await runnerIds()).uid : process.getuid?.();
    for (const name of ["cache", "twin"]) expect(await uidOf(handle(deployment, name).pid)).toBe(expectedUid);
  });

  it("an update restarts a command service whose files changed on its port, and keeps the others", async () => {
    const before = structuredClone(deployment);
    deployment = await runtime.update(env, deployment, makeContext().ctx);
    for (const name of ["cache", "twin", "mailer"])
      expect(handle(deployment, name).pid, name).toBe(handle(before, name).pid);

    const server = join(env.rootDir, "twins/payments/server.js");
    await writeFile(server, `${await readFile(server, "utf8")}console.log("twin v2");\n`);
    deployment = await runtime.update(env, deployment, makeContext().ctx);
    expect(handle(deployment, "twin").pid).not.toBe(handle(before, "twin").pid);
    expect(deployment.services.twin!.url).toBe(before.services.twin!.url);
    for (const name of ["cache", "mailer"])
      expect(handle(deployment, name).pid, name).toBe(handle(before, name).pid);
    expect(await scanProcesses({ owner, envId: env.id })).not.toContainEqual(
      expect.objectContaining({ pid: handle(before, "twin").pid }),
    );
    expect(await text(`${api}/charges`)).toBe("[]");
  });

  it("restartService starts a command service clean on its port, and Redis with its data", async () => {
    const before = structuredClone(deployment);
    deployment = await runtime.restartService(env, deployment, "twin", makeContext().ctx);
    expect(handle(deployment, "twin").pid).not.toBe(handle(before, "twin").pid);
    expect(deployment.services.twin!.url).toBe(before.services.twin!.url);
    expect(await text(`${api}/charges`)).toBe("[]");

    deployment = await runtime.restartService(env, deployment, "cache", makeContext().ctx);
    expect(handle(deployment, "cache").pid).not.toBe(handle(before, "cache").pid);
    expect(await text(`${api}/cache`)).toBe('"hi"');
    expect(await scanProcesses({ owner, envId: env.id })).not.toContainEqual(
      expect.objectContaining({ pid: handle(before, "twin").pid }),
    );
  });

  it("supervision restarts a killed redis-server with its data, and a killed twin", async () => {
    const changed: Record<string, Deployment["services"][string]> = {};
    const supervision: Supervision = runtime.supervise!(env, deployment, {
      logs: new MemoryLogStore(),
      appChanged: () => undefined,
      serviceChanged: (name, service) => void (changed[name] = service),
      event: () => undefined,
    });
    try {
      process.kill(Number(handle(deployment, "cache").pid), "SIGKILL");
      process.kill(-Number(handle(deployment, "twin").pid), "SIGKILL");
      await eventually(async () => {
        expect(changed.cache?.status).toBe("running");
        expect(changed.twin?.status).toBe("running");
        expect(changed.cache?.handle.pid).not.toBe(handle(deployment, "cache").pid);
      });
      expect(await text(`${api}/cache`)).toBe('"hi"');
      expect(await text(`${api}/charges`)).toBe("[]");
      deployment.services.cache = changed.cache!;
      deployment.services.twin = changed.twin!;
    } finally {
      await supervision.stop();
    }
  });

  it("a new runtime adopts the services, and destroy leaves nothing", async () => {
    await runtime.close();
    const again = newRuntime();
    expect(await again.adopt(env, deployment, makeContext().ctx)).toEqual(deployment);
    const dataDir = String(handle(deployment, "cache").dataDir);
    await again.destroy(env.id, env.dataDir);
    expect(await scanProcesses({ owner, envId: env.id })).toEqual([]);
    for (const name of ["cache", "twin", "mailer"])
      expect(await portFree(Number(handle(deployment, name).port))).toBe(true);
    await expect(stat(dataDir)).rejects.toThrow();
  });
});

describe("a process environment whose redis-server is missing", () => {
  it("fails naming the Debian package, before anything of it starts", async () => {
    // PATH: every program of the host but redis-server.
    const bin = join(base, "bin-without-redis");
    await mkdir(bin, { recursive: true });
    for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        if (name.startsWith("redis-")) continue;
        await symlink(join(dir, name), join(bin, name)).catch(() => undefined);
      }
    }
    const env = await makeEnv("svc-noredis");
    const { ctx, events } = makeContext();
    const path = process.env.PATH;
    process.env.PATH = bin;
    let error: unknown;
    try {
      error = await newRuntime()
        .provision(env, ctx)
        .catch((e: unknown) => e);
    } finally {
      process.env.PATH = path;
    }
    expect(error).toMatchObject({ step: "services", app: "cache" });
    expect((error as Error).message).toContain("apt-get install redis-server");
    expect(events.filter((e) => e.status === "started")).toEqual([]);
    expect(await scanProcesses({ owner, envId: env.id })).toEqual([]);
    await expect(stat(join(env.dataDir, "services"))).rejects.toThrow();
    await expect(stat(join(env.dataDir, "logs"))).rejects.toThrow();
  });
});

describe("redisCommand", () => {
  it("says PING and FLUSHALL to a real redis-server, and reports error replies", async () => {
    const running = await scanProcesses({ owner });
    expect(running).toEqual([]); // Nothing left by the suites above.
    const env = await makeEnv("svc-resp");
    const runtime = newRuntime();
    const deployment = await runtime.provision(env, makeContext().ctx);
    const url = deployment.services.cache!.url;
    expect(await redisCommand(url, ["PING"])).toBe("PONG");
    expect(await redisCommand(url, ["SET", "k", "välue"])).toBe("OK");
    expect(await redisCommand(url, ["GET", "k"])).toBe("välue");
    expect(await redisCommand(url, ["GET", "missing"])).toBe("");
    expect(await redisCommand(url, ["FLUSHALL"])).toBe("OK");
    expect(await redisCommand(url, ["DBSIZE"])).toBe("0");
    await expect(redisCommand(url, ["NO-SUCH-COMMAND"])).rejects.toThrow(/unknown command/);
    await runtime.destroy(env.id, env.dataDir);
  }, 120_000);
});
