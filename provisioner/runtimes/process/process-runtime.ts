/**
 * The `process` runtime: apps as detached process groups on loopback ports, Postgres embedded,
 * everything labelled (see process-labels.ts) so a restarted previewd can adopt or clean it.
 */
import { join } from "node:path";
import { readFile } from "node:fs/promises";
import { platform } from "node:os";
import type { Logger } from "../../logger.ts";
import { ConflictError, RuntimeUnavailableError } from "../../errors.ts";
import type { LogStore } from "../../logs/log-store.ts";
import type { Manifest } from "../../manifest/manifest-schema.ts";
import { provisionWith, updateWith, type PipelineOptions } from "../deploy-flow.ts";
import type {
  Deployment,
  ExecOptions,
  ExecResult,
  Runtime,
  RuntimeContext,
  RuntimeEnvironment,
  Supervision,
  SupervisionContext,
} from "../runtime.ts";
import { EnvironmentPorts } from "./environment-ports.ts";
import { execCommand } from "./exec-command.ts";
import { OutputCapture } from "./output-capture.ts";
import { PortAllocator } from "./port-allocator.ts";
import { appHandle, instanceUrlOf, serviceHandle } from "./process-handles.ts";
import { frontPorts } from "./interpolation-values.ts";
import { frontRunning, startFront } from "../fronts/app-front.ts";
import { stopGroups } from "./process-group.ts";
import { isOurs, scanProcesses } from "./process-scan.ts";
import { ProcessSteps, type ProcessEnvironment } from "./process-steps.ts";
import type { SharedOutputs } from "./shared-outputs.ts";
import type { BuildSeeds } from "./build-seeds.ts";
import { sharedCaches } from "./shared-caches.ts";
import { fillTemplateSpares, templateSparesMade } from "./postgres-template.ts";
import type { InstallSharing } from "./install-key.ts";
import type { SharedInstalls } from "./install-step.ts";
import { servicesDir } from "./postgres-service.ts";
import { superviseProcesses } from "./process-supervision.ts";
import { checkServicePrerequisites } from "./service-prerequisites.ts";
import { restartServiceProcess } from "./service-restart.ts";
import { stopUnrecordedInstances } from "./unrecorded-instances.ts";
import { commandServiceChanged } from "../service-input-hash.ts";
import { removeOrphanPostgresData, removePostgresData } from "./postgres-home.ts";
import { removeTree } from "../../remove-tree.ts";

export interface ProcessRuntimeOptions {
  /** Identifies this previewd (e.g. a hash of its data dir); every process it starts carries it. */
  ownerId: string;
  logger: Logger;
  /** How long an app may take to answer its health path (default 60 s). */
  healthTimeoutMs?: number;
  /** How long a process gets between SIGTERM and SIGKILL (default 5 s). */
  stopGraceMs?: number;
  /**
   * How long an app's replaced process may finish the connections it serves before its SIGTERM,
   * on a zero-downtime update (default 5 s).
   */
  drainMs?: number;
  /** How long Postgres may take to accept connections (default 60 s). */
  serviceTimeoutMs?: number;
  /**
   * Where caches shared between environments live, keyed by content hash: install and build
   * outputs (`outputs/`, shared-outputs.ts) and initialised Postgres clusters (`postgres/`,
   * postgres-template.ts). Without it every environment installs, builds and runs initdb itself.
   */
  cacheDir?: string;
  /**
   * How installs are shared between environments (install-key.ts): `package-manager` (default:
   * the package managers' own stores, keyed on what they read) or `full-copies` (the way before:
   * whole copies, keyed on every tracked file when the project runs install scripts).
   */
  installSharing?: InstallSharing;
  /** Size cap of the shared outputs and package-manager stores, in bytes (default 10 GiB). */
  cacheMaxBytes?: number;
  /** How builds and starts are ordered (deploy-schedule.ts); default concurrent, one build per core. */
  pipeline?: PipelineOptions;
  /**
   * Whether a build with no exact copy starts from a copy of the nearest shared build of the same
   * app (build-seeds.ts); default true. Off: it starts from nothing (the way before, to measure against).
   */
  seedBuilds?: boolean;
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
  readonly readsTrackedFiles = true; // Its install's key and its apps' hashes.
  readonly #owner: string;
  readonly #logger: Logger;
  readonly #healthTimeoutMs: number;
  readonly #stopGraceMs: number;
  readonly #drainMs: number;
  readonly #serviceTimeoutMs: number;
  readonly #ports = new PortAllocator();
  readonly #envs = new Map<string, ProcessEnvironment>();
  readonly #cacheDir: string | undefined;
  readonly #shared: SharedOutputs | undefined;
  readonly #seeds: BuildSeeds | undefined;
  readonly #installs: SharedInstalls | undefined;
  readonly #pipeline: PipelineOptions;

  constructor(options: ProcessRuntimeOptions) {
    this.#owner = options.ownerId;
    this.#logger = options.logger;
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 60_000;
    this.#stopGraceMs = options.stopGraceMs ?? 5_000;
    this.#drainMs = options.drainMs ?? 5_000;
    this.#serviceTimeoutMs = options.serviceTimeoutMs ?? 60_000;
    this.#cacheDir = options.cacheDir;
    this.#pipeline = options.pipeline ?? {};
    const caches =
      options.cacheDir &&
      sharedCaches({
        cacheDir: options.cacheDir,
        owner: options.ownerId,
        logger: options.logger,
        sharing: options.installSharing,
        maxBytes: options.cacheMaxBytes,
      });
    this.#shared = caches ? caches.outputs : undefined;
    this.#seeds = caches && options.seedBuilds !== false ? caches.seeds : undefined;
    this.#installs = caches ? caches.installs : undefined;
  }

  async checkAvailable(): Promise<void> {
    // Finding our processes after a crash reads /proc/<pid>/environ.
    if (platform() !== "linux") throw new RuntimeUnavailableError("the process runtime needs Linux (/proc)");
    await readFile("/proc/self/environ").catch((error: unknown) => {
      throw new RuntimeUnavailableError("the process runtime needs a readable /proc", { cause: error });
    });
  }

  async provision(env: RuntimeEnvironment, ctx: RuntimeContext): Promise<Deployment> {
    const deployment: Deployment = { runtime: "process", apps: {}, services: {} };
    const steps = this.#steps(env, ctx, deployment);
    // Each app's front port: where it is reached, what its `internalUrl` names.
    const ports: Record<string, number> = {};
    await provisionWith(
      env.manifest,
      ctx,
      async () => {
        // A missing redis-server fails the environment before anything of it starts.
        await checkServicePrerequisites(env.manifest, Object.keys(env.manifest.services));
        return {
          pipeline: this.#pipeline,
          prepareBuilds: () => steps.prepareBuilds(),
          startServices: (names) => steps.startServices(names),
          release: (app) => steps.release(app, ports),
          beforeApps: async () => {
            for (const app of Object.keys(env.manifest.apps)) ports[app] = await steps.ports.allocate();
          },
          startApp: (app, hashes) => steps.startApp(app, ports, hashes[app] ?? ""),
        };
      },
      () => this.#removeEverything(env.id),
    );
    return deployment;
  }

  async update(env: RuntimeEnvironment, current: Deployment, ctx: RuntimeContext): Promise<Deployment> {
    await this.#retired(env.id); // What the last update replaced is gone before this one starts.
    const deployment = structuredClone(current);
    const steps = this.#steps(env, ctx, deployment, true);
    const manifest = env.manifest;
    for (const app of Object.values(deployment.apps)) {
      steps.ports.reserve(appHandle(app)?.port);
      steps.ports.reserve(appHandle(app)?.front?.port);
    }
    for (const service of Object.values(deployment.services))
      steps.ports.reserve(serviceHandle(service)?.port);
    // A service that came back on another URL invalidates the env of the apps that use it.
    const usesMovedService = (app: string) =>
      Object.keys(manifest.services).some(
        (name) =>
          deployment.services[name]?.url !== current.services[name]?.url && usesService(manifest, app, name),
      );
    const ports: Record<string, number> = {};
    await updateWith(manifest, ctx, deployment, async () => ({
      // A `command` service whose entry or files changed starts anew (a twin's new code).
      serviceRunning: async (name) =>
        (await steps.isOurs(name, serviceHandle(deployment.services[name])?.pid)) &&
        !(await commandServiceChanged(env.rootDir, manifest, name, deployment.services[name])),
      appRunning: (app) => steps.isOurs(app, appHandle(deployment.apps[app])?.pid),
      removeService: (name) => steps.removeService(name),
      removeApp: (app) => steps.stopApp(app, true),
      pipeline: this.#pipeline,
      prepareBuilds: () => steps.prepareBuilds(),
      startServices: (names) => steps.startServices(names),
      // Beside the old process, before it stops: a failing release keeps the old one serving.
      release: (app) => steps.release(app, ports),
      inputsChanged: (app, hashes) =>
        deployment.apps[app]?.inputHash !== hashes[app] || usesMovedService(app),
      keptMessage: "inputs unchanged: kept running",
      // Every app keeps its front's port (stable URLs); new apps get one first, so every app's env
      // can name every other.
      beforeApps: async () => {
        const fronts = frontPorts(deployment);
        for (const app of Object.keys(manifest.apps))
          ports[app] = fronts[app] ?? (await steps.ports.allocate());
      },
      // The new process starts beside the old one, which stops once the front points at the new one.
      startApp: (app, hashes) => steps.startApp(app, ports, hashes[app] ?? ""),
    }));
    return deployment;
  }

  async adopt(
    env: RuntimeEnvironment,
    deployment: Deployment,
    ctx: RuntimeContext,
  ): Promise<Deployment | undefined> {
    const ports: number[] = [];
    const names: string[] = [];
    // One already known to have crashed may be gone: supervision restarts it. Anything else gone
    // means the environment did not survive (a reboot, say).
    const alive = async (name: string, pid: number | undefined, status: string) =>
      (pid !== undefined && (await isOurs(pid, this.#owner, env.id, name))) || status === "crashed";
    for (const [name, service] of Object.entries(deployment.services)) {
      const handle = serviceHandle(service);
      if (!handle || !(await alive(name, handle.pid, service.status))) return undefined;
      ports.push(handle.port);
      names.push(name);
    }
    for (const [app, deployed] of Object.entries(deployment.apps)) {
      const handle = appHandle(deployed);
      if (!handle || !(await alive(app, handle.pid, deployed.status))) return undefined;
      ports.push(handle.port, ...(handle.front ? [handle.front.port] : []));
      names.push(app);
    }
    const state = this.#state(env, ctx.logs);
    for (const port of ports) state.ports.reserve(port);
    // Resume from the current end: earlier lines were captured before the restart.
    await Promise.all(names.map((name) => state.output.follow(name, name, true)));
    const adopted = await this.#reviveFronts(env, deployment);
    const strays = await stopUnrecordedInstances(this.#owner, env.id, deployment, this.#stopGraceMs);
    if (strays.length > 0)
      this.#logger.info({ envId: env.id, pgids: strays }, "stopped app processes not on record");
    this.#logger.info({ envId: env.id }, "adopted running processes");
    return adopted;
  }

  /** A front that died while previewd was down comes back on its port (or supervision retries). */
  async #reviveFronts(env: RuntimeEnvironment, deployment: Deployment): Promise<Deployment> {
    const revived = structuredClone(deployment);
    for (const [app, deployed] of Object.entries(revived.apps)) {
      const handle = appHandle(deployed);
      const place = { owner: this.#owner, envId: env.id, dataDir: env.dataDir, app };
      if (!handle?.front || (await frontRunning(place, handle.front))) continue;
      try {
        deployed.handle.front = await startFront(place, handle.front.port, handle.port);
      } catch (error) {
        this.#logger.warn({ envId: env.id, app, err: error }, "cannot start the app's front again");
      }
    }
    return revived;
  }

  async destroy(envId: string, dataDir: string): Promise<void> {
    await this.#removeEverything(envId);
    await removeTree(servicesDir(dataDir));
    await removePostgresData(this.#owner, envId); // As root, clusters live outside the data dir.
  }

  async reconcile(keep: ReadonlySet<string>): Promise<string[]> {
    const found = await scanProcesses({ owner: this.#owner });
    const orphans = [...new Set(found.map((p) => p.envId))].filter((id) => !keep.has(id));
    await Promise.all(orphans.map((id) => this.#removeEverything(id)));
    if (orphans.length > 0) this.#logger.info({ envIds: orphans }, "removed orphaned processes");
    const clusters = await removeOrphanPostgresData(this.#owner, keep);
    if (clusters.length > 0) this.#logger.info({ envIds: clusters }, "removed orphaned Postgres clusters");
    return [...new Set([...orphans, ...clusters])];
  }

  readonly instanceUrl = instanceUrlOf;

  supervise(env: RuntimeEnvironment, deployment: Deployment, ctx: SupervisionContext): Supervision {
    return superviseProcesses({
      env,
      deployment,
      ctx,
      state: this.#state(env, ctx.logs),
      owner: this.#owner,
      healthTimeoutMs: this.#healthTimeoutMs,
      stopGraceMs: this.#stopGraceMs,
      serviceTimeoutMs: this.#serviceTimeoutMs,
      ...(this.#cacheDir && { postgresTemplates: join(this.#cacheDir, "postgres") }),
    });
  }

  async restartService(
    env: RuntimeEnvironment,
    deployment: Deployment,
    name: string,
    ctx: RuntimeContext,
  ): Promise<Deployment> {
    const state = this.#envs.get(env.id);
    if (!state) throw new ConflictError(`environment ${env.id} is not running`);
    const restarted = structuredClone(deployment);
    restarted.services[name] = await restartServiceProcess({
      env,
      ctx,
      name,
      owner: this.#owner,
      previous: deployment.services[name],
      output: state.output,
      readyTimeoutMs: this.#serviceTimeoutMs,
      stopGraceMs: this.#stopGraceMs,
      ...(this.#cacheDir && { templatesDir: join(this.#cacheDir, "postgres") }),
      step: "services",
    });
    return restarted;
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

  async flushLogs(envId: string): Promise<void> {
    await this.#envs.get(envId)?.output.flushAll();
  }

  async close(): Promise<void> {
    const states = [...this.#envs.values()];
    this.#envs.clear();
    await Promise.all(states.flatMap((s) => [...s.retiring]));
    await Promise.all(states.map((s) => s.output.stopAll()));
    await Promise.all([this.#shared?.stopSpares(), templateSparesMade({ stop: true })]);
  }

  /** Copies ahead for the next environments, made once this one is up: they slow none of its steps. */
  operationEnded(): void {
    this.#shared?.fillSpares();
    fillTemplateSpares();
  }

  /** Once the processes the environment's updates replaced have stopped (app-switchover.ts). */
  async #retired(envId: string): Promise<void> {
    await Promise.all(this.#envs.get(envId)?.retiring ?? []);
  }

  #state(env: RuntimeEnvironment, logs: LogStore): ProcessEnvironment {
    let state = this.#envs.get(env.id);
    if (!state) {
      state = {
        output: new OutputCapture(env.id, env.dataDir, logs),
        ports: new EnvironmentPorts(this.#ports),
        retiring: new Set(),
      };
      this.#envs.set(env.id, state);
    }
    state.output.useLogs(logs);
    return state;
  }

  #steps(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    deployment: Deployment,
    updating = false,
  ): ProcessSteps {
    return new ProcessSteps({
      env,
      ctx,
      updating,
      state: this.#state(env, ctx.logs),
      deployment,
      owner: this.#owner,
      healthTimeoutMs: this.#healthTimeoutMs,
      stopGraceMs: this.#stopGraceMs,
      drainMs: this.#drainMs,
      serviceTimeoutMs: this.#serviceTimeoutMs,
      ...(this.#shared && { shared: this.#shared }),
      ...(this.#seeds && { seeds: this.#seeds }),
      ...(this.#installs && { installs: this.#installs }),
      ...(this.#cacheDir && { postgresTemplates: join(this.#cacheDir, "postgres") }),
    });
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
    await this.#retired(envId); // Stopped above already, if still running.
    const state = this.#envs.get(envId);
    this.#envs.delete(envId);
    if (!state) return;
    state.ports.releaseAll();
    await state.output.stopAll();
  }
}
