/**
 * What the process runtime does ahead, and that it stays correct: an app's front starts while the
 * app starts (and goes if the app fails), and the apps are hashed while the install is checked,
 * copied or run, those hashes kept only if the install left what they read as it was.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../logger.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import type { Deployment, Runtime, RuntimeEnvironment } from "../runtime.ts";
import { ownerDir, rootHome } from "./postgres-home.ts";
import { createProcessRuntime } from "./process-runtime.ts";
import { scanProcesses } from "./process-scan.ts";
import { recordingContext } from "../../../test/helpers/runtime-context.ts";
import { runnerWorktree, runtimeEnvironment } from "../../../test/helpers/runner-worktree.ts";

const owner = `test-${randomBytes(4).toString("hex")}`;

// Healthy only once the file its env names exists: the test decides when its health check passes.
const server = `
const http = require("node:http");
const fs = require("node:fs");
http
  .createServer((req, res) => {
    const ready = !process.env.READY_FILE || fs.existsSync(process.env.READY_FILE);
    res.writeHead(req.url === "/healthz" && !ready ? 503 : 200).end("ok");
  })
  .listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

const files: Record<string, string> = {
  ".gitignore": ".install-count\n",
  "package.json": '{ "private": true }\n',
  "package-lock.json": '{ "lockfileVersion": 3 }\n',
  "apps/api/server.js": server,
  "apps/web/server.js": server,
};

const app = (path: string, extra: Partial<Manifest["apps"][string]> = {}) => ({
  path,
  start: "node server.js",
  health: "/healthz",
  env: {},
  depends_on: [],
  ...extra,
});

let base: string;
let runtime: Runtime;
const envs: RuntimeEnvironment[] = [];

async function makeEnv(id: string, manifest: Manifest): Promise<RuntimeEnvironment> {
  const rootDir = await runnerWorktree(base, owner, id, files);
  const dataDir = join(base, "data", id);
  await mkdir(dataDir, { recursive: true });
  const env = runtimeEnvironment(id, rootDir, dataDir, manifest);
  envs.push(env);
  return env;
}

const makeContext = recordingContext;

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A process runtime of this suite's owner; `options` adds to or changes its settings. */
const newRuntime = (options: Partial<Parameters<typeof createProcessRuntime>[0]> = {}) =>
  createProcessRuntime({
    ownerId: owner,
    logger: silentLogger,
    healthTimeoutMs: 3_000,
    stopGraceMs: 1_000,
    ...options,
  });

const fronts = async (envId: string, app: string) =>
  (await scanProcesses({ owner, envId })).filter((p) => p.role === "front" && p.name === app);

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "process-early-"));
  runtime = newRuntime();
});

afterAll(async () => {
  for (const env of envs) await runtime.destroy(env.id, env.dataDir);
  await runtime.close();
  if (process.getuid?.() === 0) await rm(ownerDir(rootHome, owner), { recursive: true, force: true });
  await rm(base, { recursive: true, force: true });
});

const manifest = (apps: Manifest["apps"], install?: string): Manifest => ({
  version: 1,
  name: "early",
  ...(install && { install }),
  services: {},
  apps,
  flags: {},
  seed: { scenarios: "seed-scenarios" },
});

describe("process runtime: steps taken ahead", () => {
  it("an app's front listens while the app still starts, and serves it once healthy", async () => {
    const env = await makeEnv(
      "front-ahead",
      manifest({ api: app("apps/api", { env: { READY_FILE: "../../ready" } }) }),
    );
    const { ctx, events } = makeContext();
    const provisioning = runtime.provision(env, ctx);
    await eventually(async () => (await fronts(env.id, "api")).length === 1);
    expect(events.some((e) => e.step === "health" && e.app === "api" && e.status === "succeeded")).toBe(
      false,
    );
    // In the worktree: the app may run as another user, who cannot enter the test's own folder.
    await writeFile(join(env.rootDir, "ready"), "");
    const deployment = await provisioning;
    const front = deployment.apps.api?.handle.front as { pid: number; port: number };
    expect((await fronts(env.id, "api")).map((p) => p.pid)).toEqual([front.pid]);
    expect(deployment.apps.api?.directUrl).toBe(`http://127.0.0.1:${front.port}`);
    expect((await fetch(`${deployment.apps.api?.directUrl}/healthz`)).status).toBe(200);
  });

  it("an update whose new app fails its health check leaves no front of it", async () => {
    const env = await makeEnv("front-failed", manifest({ api: app("apps/api") }));
    const deployment = await runtime.provision(env, makeContext().ctx);
    const grown = {
      ...env,
      manifest: manifest({
        api: app("apps/api"),
        web: app("apps/web", { env: { READY_FILE: "../../never" } }),
      }),
    };
    const error = await runtime.update(grown, deployment, makeContext().ctx).catch((e: unknown) => e);
    expect(error).toMatchObject({ step: "health", app: "web" });
    expect(await fronts(env.id, "web")).toEqual([]);
    expect((await fronts(env.id, "api")).length).toBe(1);
  });

  it("an update whose install runs hashes the apps after it, one that skips it keeps the early hashes", async () => {
    // Every run rewrites generated.txt (at the root, not ignored: every app's hash covers it), after
    // a pause, so hashes taken beside the install are surely from before it.
    const install = "sleep 0.5 && echo x >> .install-count && cat .install-count > generated.txt";
    const env = await makeEnv("hash-after-install", manifest({ api: app("apps/api") }, install));
    const first = await runtime.provision(env, makeContext().ctx);
    // A changed lockfile: the install runs again.
    await writeFile(join(env.rootDir, "package-lock.json"), '{ "lockfileVersion": 3, "changed": true }\n');
    const { ctx, events } = makeContext();
    const updated = await runtime.update(env, first, ctx);
    expect(events.some((e) => e.step === "install" && e.status === "succeeded")).toBe(true);
    expect(updated.apps.api?.handle.pid).not.toBe(first.apps.api?.handle.pid);
    // Nothing changed since: the install is skipped and the hashes taken beside it stand. Had the
    // update above kept hashes taken before its install rewrote generated.txt, api would restart.
    const again = await runtime.update(env, updated, makeContext().ctx);
    expect(again.apps.api?.inputHash).toBe(updated.apps.api?.inputHash);
    expect(again.apps.api?.handle.pid).toBe(updated.apps.api?.handle.pid);
  });

  it("a fresh worktree keeps the hashes taken beside a copied install only if it copied node_modules alone", async () => {
    const sharing = newRuntime({ cacheDir: join(base, "cache") });
    const made: RuntimeEnvironment[] = [];
    try {
      // Each install writes node_modules; the second also a file at the root (not ignored: every
      // app's hash covers it), after a pause, so hashes taken beside a copy of it miss the file.
      const modules = "mkdir -p node_modules/p && echo p > node_modules/p/index.js";
      for (const install of [modules, `${modules} && sleep 0.5 && echo generated > generated.txt`]) {
        const twice: { inputHash: string | undefined; copied: boolean }[] = [];
        for (const id of ["a", "b"]) {
          const name = `copied-${made.length}-${id}`;
          const rootDir = await runnerWorktree(base, owner, name, files);
          const dataDir = join(base, "data", name);
          await mkdir(dataDir, { recursive: true });
          const env = runtimeEnvironment(name, rootDir, dataDir, manifest({ api: app("apps/api") }, install));
          made.push(env);
          const { ctx, events } = makeContext();
          const deployment = await sharing.provision(env, ctx);
          const copied = events.some((e) => e.step === "install" && e.message.startsWith("copied from"));
          twice.push({ inputHash: deployment.apps.api?.inputHash, copied });
        }
        expect(twice.map((t) => t.copied)).toEqual([false, true]);
        // The same files, installed or copied: the same hash. Had the copy of generated.txt kept
        // the hashes taken beside it, the second would differ.
        expect(twice[1]!.inputHash).toBe(twice[0]!.inputHash);
      }
    } finally {
      for (const env of made) await sharing.destroy(env.id, env.dataDir);
      await sharing.close();
    }
  });

  it.runIf(process.getuid?.() === 0)(
    "an update hands what root's checkout wrote to the runner before its install and builds run",
    async () => {
      // The build appends to a file the checkout wrote (none at first): as root's, the runner could not.
      const build = "[ ! -f notes.txt ] || echo built >> notes.txt";
      const env = await makeEnv("hand-over", manifest({ api: app("apps/api", { build }) }));
      const first = await runtime.provision(env, makeContext().ctx);
      await writeFile(join(env.rootDir, "apps/api/notes.txt"), "checked out by root\n"); // as git would
      const updated = await runtime.update(env, first, makeContext().ctx);
      expect(updated.apps.api?.inputHash).not.toBe(first.apps.api?.inputHash);
      expect(await readFile(join(env.rootDir, "apps/api/notes.txt"), "utf8")).toBe(
        "checked out by root\nbuilt\n",
      );
    },
  );

  it.runIf(process.getuid?.() === 0)(
    "an update whose checkout wrote as the runner is not handed over again; one written as another user is",
    async () => {
      const env = await makeEnv("written-as", manifest({ api: app("apps/api", { build: "true" }) }));
      const first = await runtime.provision(env, makeContext().ctx);
      const { uid, gid } = await stat(env.rootDir); // handed to the runner by the provision
      expect(uid).not.toBe(0);
      const planted = join(env.rootDir, "apps/api/planted-by-root.txt");
      await writeFile(planted, "root's\n");
      await writeFile(join(env.rootDir, "apps/api/change.txt"), "1\n");
      const second = await runtime.update({ ...env, checkedOutAs: { uid, gid } }, first, makeContext().ctx);
      expect((await stat(planted)).uid).toBe(0); // no chown -R ran
      await writeFile(join(env.rootDir, "apps/api/change.txt"), "2\n");
      await runtime.update({ ...env, checkedOutAs: { uid: 0, gid: 0 } }, second, makeContext().ctx);
      expect((await stat(planted)).uid).toBe(uid); // someone else wrote: handed over
    },
  );

  it("an update is done once nothing reaches the old process, which shuts down after; the next update waits for that", async () => {
    const patient = newRuntime({ stopGraceMs: 10_000 });
    // A server that takes its time to shut down (closing its pools, say), with nothing connected.
    const slow = `${server}\nprocess.removeAllListeners("SIGTERM");\nprocess.on("SIGTERM", () => setTimeout(() => process.exit(0), 2_000));\n`;
    const env = await makeEnv("retire-after", manifest({ api: app("apps/api") }));
    await writeFile(join(env.rootDir, "apps/api/server.js"), slow);
    // The app's processes running (not zombies), by their labels.
    const running = async () =>
      (await scanProcesses({ owner, envId: env.id }))
        .filter((p) => p.role === "app" && p.name === "api")
        .map((p) => p.pid);
    const pidOf = (d: Deployment) => d.apps.api?.handle.pid as number;
    const restarted = (d: Deployment, value: string) =>
      patient.update(
        { ...env, manifest: manifest({ api: app("apps/api", { env: { VERSION: value } }) }) },
        d,
        makeContext().ctx,
      );
    try {
      const first = await patient.provision(env, makeContext().ctx);
      const firsts = await running();
      const second = await restarted(first, "2");
      expect(pidOf(second)).not.toBe(pidOf(first));
      // Shutting down, unreachable: the front serves the new one.
      expect((await running()).filter((pid) => firsts.includes(pid))).not.toEqual([]);
      expect(await (await fetch(`${second.apps.api?.directUrl}/healthz`)).text()).toBe("ok");
      const third = await restarted(second, "3");
      // The next update began once it was gone.
      expect((await running()).filter((pid) => firsts.includes(pid))).toEqual([]);
      expect(pidOf(third)).not.toBe(pidOf(second));
    } finally {
      await patient.destroy(env.id, env.dataDir);
      await patient.close();
    }
  });
});
