/**
 * The `process` runtime: apps as detached process groups on loopback ports, Postgres embedded,
 * everything labelled (see process-labels.ts) so a restarted previewd can adopt or clean it.
 */
import { readFile, rm } from "node:fs/promises";
import { platform } from "node:os";
import type { Logger } from "../../logger.ts";
import { ConflictError, RuntimeUnavailableError } from "../../errors.ts";
import type { LogStore } from "../../logs/log-store.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import { startOrder } from "../../manifest/dependency-graph.ts";
import { appInputHashes } from "../app-input-hash.ts";
import type {
  Deployment,
  ExecOptions,
  ExecResult,
  Runtime,
  RuntimeContext,
  RuntimeEnvironment,
} from "../runtime.ts";
import { startApp } from "./app-process.ts";
import { execCommand } from "./exec-command.ts";
import { runBuild } from "./build-step.ts";
import { runInstall } from "./install-step.ts";
import { OutputCapture } from "./output-capture.ts";
import { PortAllocator, waitPortFree } from "./port-allocator.ts";
import { appHandle, serviceHandle } from "./process-handles.ts";
import { stopGroups } from "./process-group.ts";
import { isOurs, scanProcesses } from "./process-scan.ts";
import { servicesDir } from "./postgres-service.ts";
import { asProvisionError, settleAll, step } from "./provision-steps.ts";
import { startService } from "./start-service.ts";
import { interpolationValues } from "./interpolation-values.ts";
import { StepCache } from "./step-cache.ts";

export interface ProcessRuntimeOptions {
  /** Identifies this previewd (e.g. a hash of its data dir); every process it starts carries it. */
  ownerId: string;
  logger: Logger;
  /** How long an app may take to answer its health path (default 60 s). */
  healthTimeoutMs?: number;
  /** How long a process gets between SIGTERM and SIGKILL (default 5 s). */
  stopGraceMs?: number;
  /** How long Postgres may take to accept connections (default 60 s). */
  serviceTimeoutMs?: number;
}

/** What this runtime holds in memory per environment: its log followers and the ports it reserved. */
interface EnvState {
  output: OutputCapture;
  ports: Set<number>;
}

function usesService(manifest: Manifest, app: string, service: string): boolean {
  const spec = manifest.apps[app];
  if (!spec) return false;
  return (
    spec.depends_on.includes(service) ||
    Object.values(spec.env).some((v) => v.includes(`services.${service}.`))
  );
}

export function createProcessRuntime(options: ProcessRuntimeOptions): Runtime {
  return new ProcessRuntime(options);
}

class ProcessRuntime implements Runtime {
  readonly name = "process" as const;
  readonly #owner: string;
  readonly #logger: Logger;
  readonly #healthTimeoutMs: number;
  readonly #stopGraceMs: number;
  readonly #serviceTimeoutMs: number;
  readonly #ports = new PortAllocator();
  readonly #envs = new Map<string, EnvState>();

  constructor(options: ProcessRuntimeOptions) {
    this.#owner = options.ownerId;
    this.#logger = options.logger;
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 60_000;
    this.#stopGraceMs = options.stopGraceMs ?? 5_000;
    this.#serviceTimeoutMs = options.serviceTimeoutMs ?? 60_000;
  }

  async checkAvailable(): Promise<void> {
    // Finding our processes after a crash reads /proc/<pid>/environ.
    if (platform() !== "linux") throw new RuntimeUnavailableError("the process runtime needs Linux (/proc)");
    await readFile("/proc/self/environ").catch((error: unknown) => {
      throw new RuntimeUnavailableError("the process runtime needs a readable /proc", { cause: error });
    });
  }

  async provision(env: RuntimeEnvironment, ctx: RuntimeContext): Promise<Deployment> {
    const state = this.#state(env, ctx.logs);
    const deployment: Deployment = { runtime: "process", apps: {}, services: {} };
    try {
      // Services start while install and builds run: neither needs the other.
      const [hashes] = await settleAll<[Record<string, string>, void]>([
        this.#installAndBuild(env, ctx, state),
        ctx.phase("services", () =>
          this.#startServices(env, ctx, state, deployment, Object.keys(env.manifest.services)),
        ),
      ]);
      const ports: Record<string, number> = {};
      for (const app of Object.keys(env.manifest.apps)) ports[app] = await this.#allocate(state);
      for (const layer of startOrder(env.manifest)) {
        await ctx.phase("start", () =>
          settleAll(
            layer.map((app) => this.#startApp(env, ctx, state, deployment, app, ports, hashes[app] ?? "")),
          ),
        );
      }
      return deployment;
    } catch (error) {
      const failure = asProvisionError(error, "start");
      ctx.event({ step: failure.step, app: failure.app, status: "failed", message: failure.message });
      await this.#removeEverything(env.id);
      throw failure;
    }
  }

  async update(env: RuntimeEnvironment, current: Deployment, ctx: RuntimeContext): Promise<Deployment> {
    const state = this.#state(env, ctx.logs);
    const deployment = structuredClone(current);
    const manifest = env.manifest;
    for (const app of Object.values(deployment.apps)) this.#reserve(state, appHandle(app)?.port);
    for (const service of Object.values(deployment.services))
      this.#reserve(state, serviceHandle(service)?.port);
    try {
      // Services no longer in the manifest go; new or dead ones start; running ones and their data stay.
      for (const name of Object.keys(deployment.services)) {
        if (Object.hasOwn(manifest.services, name)) continue;
        await this.#stopService(env, state, deployment, name);
      }
      const servicesToStart: string[] = [];
      for (const name of Object.keys(manifest.services)) {
        const handle = serviceHandle(deployment.services[name]);
        if (!handle || !(await isOurs(handle.pid, this.#owner, env.id, name))) servicesToStart.push(name);
      }
      // Apps no longer in the manifest go.
      for (const app of Object.keys(deployment.apps)) {
        if (!Object.hasOwn(manifest.apps, app)) await this.#stopApp(env, state, deployment, app, true);
      }
      const [hashes] = await settleAll<[Record<string, string>, void]>([
        this.#installAndBuild(env, ctx, state),
        ctx.phase("services", () => this.#startServices(env, ctx, state, deployment, servicesToStart)),
      ]);

      // A service that came back on another URL invalidates the env of the apps that use it.
      const movedServices = servicesToStart.filter(
        (name) => deployment.services[name]?.url !== current.services[name]?.url,
      );
      const changed = new Set<string>();
      for (const app of Object.keys(manifest.apps)) {
        const deployed = deployment.apps[app];
        const handle = appHandle(deployed);
        const alive = handle !== undefined && (await isOurs(handle.pid, this.#owner, env.id, app));
        const usesMoved = movedServices.some((name) => usesService(manifest, app, name));
        if (!alive || usesMoved || deployed?.inputHash !== hashes[app]) changed.add(app);
        else ctx.event({ step: "start", app, status: "skipped", message: "inputs unchanged: kept running" });
      }
      // Every app keeps its port (stable URLs); new apps get one first, so every app's env can name every other.
      const ports: Record<string, number> = {};
      for (const app of Object.keys(manifest.apps)) {
        ports[app] = appHandle(deployment.apps[app])?.port ?? (await this.#allocate(state));
      }
      for (const layer of startOrder(manifest)) {
        const restart = layer.filter((app) => changed.has(app));
        if (restart.length === 0) continue;
        await ctx.phase("start", () =>
          settleAll(
            restart.map(async (app) => {
              if (deployment.apps[app]) await this.#stopApp(env, state, deployment, app, false);
              // The old process's sockets take a moment to let go; something else may even have taken it.
              const port = ports[app] ?? 0;
              if (!(await waitPortFree(port, 3_000))) {
                this.#release(state, port);
                ports[app] = await this.#allocate(state);
              }
              await this.#startApp(env, ctx, state, deployment, app, ports, hashes[app] ?? "");
            }),
          ),
        );
      }
      return deployment;
    } catch (error) {
      const failure = asProvisionError(error, "start");
      ctx.event({ step: failure.step, app: failure.app, status: "failed", message: failure.message });
      // A failed build leaves the previous process running; a failed start or health check does not.
      const stopped = failure.step === "start" || failure.step === "health";
      if (stopped && failure.app && deployment.apps[failure.app])
        deployment.apps[failure.app]!.status = "failed";
      await ctx.checkpoint(structuredClone(deployment)).catch(() => undefined);
      throw failure;
    }
  }

  async adopt(
    env: RuntimeEnvironment,
    deployment: Deployment,
    ctx: RuntimeContext,
  ): Promise<Deployment | undefined> {
    const ports: number[] = [];
    const names: string[] = [];
    for (const [name, service] of Object.entries(deployment.services)) {
      const handle = serviceHandle(service);
      if (!handle || !(await isOurs(handle.pid, this.#owner, env.id, name))) return undefined;
      ports.push(handle.port);
      names.push(name);
    }
    for (const [app, deployed] of Object.entries(deployment.apps)) {
      const handle = appHandle(deployed);
      if (!handle || !(await isOurs(handle.pid, this.#owner, env.id, app))) return undefined;
      ports.push(handle.port);
      names.push(app);
    }
    const state = this.#state(env, ctx.logs);
    for (const port of ports) this.#reserve(state, port);
    // Resume from the current end: earlier lines were captured before the restart.
    await Promise.all(names.map((name) => state.output.follow(name, name, true)));
    this.#logger.info({ envId: env.id }, "adopted running processes");
    return deployment;
  }

  async destroy(envId: string, dataDir: string): Promise<void> {
    await this.#removeEverything(envId);
    await rm(servicesDir(dataDir), { recursive: true, force: true });
  }

  async reconcile(keep: ReadonlySet<string>): Promise<string[]> {
    const found = await scanProcesses({ owner: this.#owner });
    const orphans = [...new Set(found.map((p) => p.envId))].filter((id) => !keep.has(id));
    await Promise.all(orphans.map((id) => this.#removeEverything(id)));
    if (orphans.length > 0) this.#logger.info({ envIds: orphans }, "removed orphaned processes");
    return orphans;
  }

  async exec(
    env: RuntimeEnvironment,
    deployment: Deployment,
    app: string,
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult> {
    // Provisioning or adoption made the state; without it nothing of this environment runs here.
    const state = this.#envs.get(env.id);
    if (!state) throw new ConflictError(`environment ${env.id} is not running`);
    return execCommand({
      ...options,
      env: options.env ?? {},
      runtimeEnv: env,
      deployment,
      app,
      command,
      owner: this.#owner,
      output: state.output,
    });
  }

  async close(): Promise<void> {
    const states = [...this.#envs.values()];
    this.#envs.clear();
    await Promise.all(states.map((s) => s.output.stopAll()));
  }

  #state(env: RuntimeEnvironment, logs: LogStore): EnvState {
    let state = this.#envs.get(env.id);
    if (!state) {
      state = { output: new OutputCapture(env.id, env.dataDir, logs), ports: new Set() };
      this.#envs.set(env.id, state);
    }
    state.output.useLogs(logs);
    return state;
  }

  async #allocate(state: EnvState): Promise<number> {
    const port = await this.#ports.allocate();
    state.ports.add(port);
    return port;
  }

  #reserve(state: EnvState, port: number | undefined): void {
    if (port === undefined) return;
    this.#ports.reserve(port);
    state.ports.add(port);
  }

  #release(state: EnvState, port: number | undefined): void {
    if (port === undefined) return;
    this.#ports.release(port);
    state.ports.delete(port);
  }

  /** Install, then the input hashes (after install, which may touch lockfiles), then each app's build. */
  async #installAndBuild(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    state: EnvState,
  ): Promise<Record<string, string>> {
    const cache = new StepCache(env.dataDir);
    const common = { env, ctx, owner: this.#owner, output: state.output, cache };
    await ctx.phase("install", () => step("install", undefined, () => runInstall(common)));
    const hashes = await step("build", undefined, () => appInputHashes(env.rootDir, env.manifest));
    for (const app of startOrder(env.manifest).flat()) {
      if (!env.manifest.apps[app]?.build) continue;
      await ctx.phase("build", () =>
        step("build", app, () => runBuild({ ...common, app, inputHash: hashes[app] ?? "" })),
      );
    }
    return hashes;
  }

  async #startServices(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    state: EnvState,
    deployment: Deployment,
    names: string[],
  ): Promise<void> {
    await settleAll(
      names.map((name) =>
        step("services", name, async () => {
          const previous = serviceHandle(deployment.services[name]);
          const reuse = previous && (await waitPortFree(previous.port, 3_000));
          const port = reuse ? previous.port : await this.#allocate(state);
          this.#reserve(state, port);
          const service = await startService({
            env,
            ctx,
            name,
            owner: this.#owner,
            port,
            previous,
            output: state.output,
            readyTimeoutMs: this.#serviceTimeoutMs,
          });
          if (!service) return;
          deployment.services[name] = service;
          await ctx.checkpoint(structuredClone(deployment));
        }),
      ),
    );
  }

  async #startApp(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    state: EnvState,
    deployment: Deployment,
    app: string,
    ports: Record<string, number>,
    inputHash: string,
  ): Promise<void> {
    deployment.apps[app] = await startApp({
      env,
      ctx,
      app,
      owner: this.#owner,
      port: ports[app] ?? 0,
      values: interpolationValues(env, deployment, ports, app),
      inputHash,
      output: state.output,
      healthTimeoutMs: this.#healthTimeoutMs,
      stopGraceMs: this.#stopGraceMs,
      onSpawned: async (started) => {
        deployment.apps[app] = started;
        await ctx.checkpoint(structuredClone(deployment));
      },
    });
    await ctx.checkpoint(structuredClone(deployment));
  }

  async #stopApp(
    env: RuntimeEnvironment,
    state: EnvState,
    deployment: Deployment,
    app: string,
    remove: boolean,
  ): Promise<void> {
    const handle = appHandle(deployment.apps[app]);
    if (handle && (await isOurs(handle.pid, this.#owner, env.id, app))) {
      await stopGroups([{ pgid: handle.pgid, role: "app" }], this.#stopGraceMs);
    }
    if (!remove) return;
    this.#release(state, handle?.port);
    await state.output.stop(app);
    delete deployment.apps[app];
  }

  async #stopService(
    env: RuntimeEnvironment,
    state: EnvState,
    deployment: Deployment,
    name: string,
  ): Promise<void> {
    const handle = serviceHandle(deployment.services[name]);
    if (handle && (await isOurs(handle.pid, this.#owner, env.id, name))) {
      await stopGroups([{ pgid: handle.pid, role: "service" }], this.#stopGraceMs);
    }
    this.#release(state, handle?.port);
    await state.output.stop(name);
    if (handle) await rm(handle.dataDir, { recursive: true, force: true });
    delete deployment.services[name];
  }

  /** Stops every process labelled with the environment (found by scan, so no record is needed) and forgets it. */
  async #removeEverything(envId: string): Promise<void> {
    // A few rounds: a process may spawn a child while its group is being stopped.
    for (let round = 0; round < 3; round++) {
      const found = await scanProcesses({ owner: this.#owner, envId });
      if (found.length === 0) break;
      await stopGroups(
        found.map((p) => ({ pgid: p.pgid, role: p.role })),
        this.#stopGraceMs,
      );
    }
    const state = this.#envs.get(envId);
    this.#envs.delete(envId);
    if (!state) return;
    for (const port of state.ports) this.#ports.release(port);
    await state.output.stopAll();
  }
}
