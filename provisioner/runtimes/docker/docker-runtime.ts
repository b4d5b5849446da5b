/**
 * The `docker` runtime: per environment a network (`previewd-<env-id>`), a container per app
 * (built from its Dockerfile or run from its image) and per service, ports published on
 * 127.0.0.1 only, logs streamed into the log store, everything labelled (docker-labels.ts) so a
 * restarted previewd adopts or removes it, with or without a deployment record.
 */
import type Docker from "dockerode";
import { ConflictError, errorMessage } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { LogStore } from "../../logs/log-store.ts";
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
import { ContainerLogs } from "./container-logs.ts";
import { dockerExec } from "./docker-exec.ts";
import { checkEngine, connectEngine, engineSocket } from "./docker-engine.ts";
import { appContainerHandle, serviceContainerHandle } from "./docker-handles.ts";
import { ENV_LABEL, OWNER_LABEL } from "./docker-labels.ts";
import { adoptContainers } from "./docker-adoption.ts";
import { labelledEnvironments, removeLabelled } from "./docker-objects.ts";
import { DockerSteps, type DockerEnvironment } from "./docker-steps.ts";
import { superviseContainers } from "./docker-supervision.ts";
import { restartServiceContainer } from "./service-restart.ts";
import { commandServiceChanged } from "../service-input-hash.ts";
import { isRunningWith } from "./run-container.ts";
import { stopFronts } from "../fronts/app-front.ts";
import { EnvironmentPorts } from "../process/environment-ports.ts";
import { PortAllocator } from "../process/port-allocator.ts";
import { AliasMoves } from "./network-aliases.ts";
import { PostgresImages } from "./postgres-images.ts";
import { warmStarts, type WarmStarts } from "./warm-starts.ts";

export interface DockerRuntimeOptions {
  /** Identifies this previewd; every object it creates carries it as a label. */
  ownerId: string;
  logger: Logger;
  /** The engine's Unix socket (default: DOCKER_HOST or /var/run/docker.sock). */
  socketPath?: string;
  /** How long an app may take to answer its health path (default 60 s). */
  healthTimeoutMs?: number;
  /** How long Postgres may take to accept connections (default 60 s). */
  serviceTimeoutMs?: number;
  /**
   * How long an app's replaced container may finish the connections it serves before it stops,
   * on a zero-downtime update (default 5 s).
   */
  drainMs?: number;
  /**
   * Orphans younger than this are left for one more look after it (default 5 s): they may belong
   * to an operation that is still finishing.
   */
  orphanGraceMs?: number;
  /** How builds and starts are ordered (deploy-schedule.ts); default concurrent, one build per core. */
  pipeline?: PipelineOptions;
  /** The warm-start shortcuts (warm-starts.ts); default all on. */
  warmStarts?: WarmStarts;
}

export function createDockerRuntime(options: DockerRuntimeOptions): Runtime {
  return new DockerRuntime(options);
}

class DockerRuntime implements Runtime {
  readonly name = "docker" as const;
  readonly #owner: string;
  readonly #logger: Logger;
  readonly #socket: string;
  readonly #docker: Docker;
  readonly #healthTimeoutMs: number;
  readonly #serviceTimeoutMs: number;
  readonly #orphanGraceMs: number;
  readonly #drainMs: number;
  readonly #pipeline: PipelineOptions;
  readonly #warm: WarmStarts;
  readonly #postgresImages: PostgresImages;
  /** The loopback ports of the apps' fronts. */
  readonly #ports = new PortAllocator();
  readonly #envs = new Map<string, DockerEnvironment>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: DockerRuntimeOptions) {
    this.#owner = options.ownerId;
    this.#logger = options.logger;
    this.#socket = engineSocket(options);
    this.#docker = connectEngine(this.#socket);
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 60_000;
    this.#serviceTimeoutMs = options.serviceTimeoutMs ?? 60_000;
    this.#orphanGraceMs = options.orphanGraceMs ?? 5_000;
    this.#drainMs = options.drainMs ?? 5_000;
    this.#pipeline = options.pipeline ?? {};
    this.#warm = options.warmStarts ?? warmStarts();
    this.#postgresImages = new PostgresImages(this.#docker, this.#owner, this.#logger, this.#warm);
  }

  checkAvailable(): Promise<void> {
    return checkEngine(this.#docker, this.#socket);
  }

  async provision(env: RuntimeEnvironment, ctx: RuntimeContext): Promise<Deployment> {
    const deployment: Deployment = { runtime: "docker", apps: {}, services: {} };
    const { precreatedContainers, heldStarts } = this.#warm;
    const steps = this.#steps(env, ctx, deployment, precreatedContainers && { hold: heldStarts });
    await provisionWith(
      env.manifest,
      ctx,
      async () => {
        const connected = await steps.connect();
        return {
          pipeline: this.#pipeline,
          prepareBuilds: () => steps.prepareBuilds(),
          startServices: (names) => steps.startServices(connected.network, names),
          release: (app, images) => steps.release(connected, app, images),
          startApp: (app, images) => steps.startApp(connected, app, images),
        };
      },
      // A create still in flight would land after the cleanup, and keep the network alive.
      async () => {
        await steps.settle();
        await this.#removeEverything(env.id);
      },
    );
    return deployment;
  }

  async update(env: RuntimeEnvironment, current: Deployment, ctx: RuntimeContext): Promise<Deployment> {
    const deployment = structuredClone(current);
    const steps = this.#steps(env, ctx, deployment);
    await updateWith(env.manifest, ctx, deployment, async () => {
      const connected = await steps.connect();
      return {
        // A `command` service whose entry or files changed starts anew (a twin's new code).
        serviceRunning: async (name) =>
          (await this.#running(env, serviceContainerHandle(deployment.services[name])?.containerId)) &&
          !(await commandServiceChanged(env.rootDir, env.manifest, name, deployment.services[name])),
        appRunning: (app) => this.#running(env, appContainerHandle(deployment.apps[app])?.containerId),
        removeService: (name) => steps.removeService(name),
        removeApp: (app) => steps.removeApp(app),
        pipeline: this.#pipeline,
        prepareBuilds: () => steps.prepareBuilds(),
        startServices: (names) => steps.startServices(connected.network, names),
        // Beside the old container, before it is replaced: a failing release keeps the old one serving.
        release: (app, images) => steps.release(connected, app, images),
        // An app restarts if its container is gone or anything deciding it (image, env, limits, release) changed.
        inputsChanged: (app, images) =>
          deployment.apps[app]?.inputHash !== steps.appSpecHash(app, images, connected.gateway),
        keptMessage: "image and settings unchanged: kept running",
        startApp: (app, images) => steps.startApp(connected, app, images),
      };
    });
    return deployment;
  }

  adopt(
    env: RuntimeEnvironment,
    deployment: Deployment,
    ctx: RuntimeContext,
  ): Promise<Deployment | undefined> {
    return adoptContainers({
      docker: this.#docker,
      owner: this.#owner,
      logger: this.#logger,
      env,
      deployment,
      running: (id) => this.#running(env, id),
      // The containers' PREVIEW_FLAGS_URL names the gateway's port: listen on it again.
      connect: () => this.#steps(env, ctx, deployment).connect(),
      state: () => this.#state(env, ctx.logs),
    });
  }

  async destroy(envId: string): Promise<void> {
    const state = this.#envs.get(envId);
    this.#envs.delete(envId);
    await state?.gateway?.close();
    await state?.logs.discard();
    await stopFronts(this.#owner, (id) => id === envId);
    state?.ports.releaseAll();
    await removeLabelled(this.#docker, this.#owner, envId);
  }

  async reconcile(keep: ReadonlySet<string>): Promise<string[]> {
    let found: Map<string, number>;
    try {
      found = await labelledEnvironments(this.#docker, this.#owner);
    } catch (error) {
      // No engine, nothing of ours can be running on it.
      this.#logger.info({ reason: errorMessage(error) }, "docker engine not reachable: nothing to reconcile");
      return [];
    }
    const now = Date.now();
    const removed: string[] = [];
    for (const [envId, created] of found) {
      if (keep.has(envId) || this.#envs.has(envId)) continue;
      if (now - created >= this.#orphanGraceMs) {
        await this.destroy(envId);
        removed.push(envId);
        continue;
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (this.#envs.has(envId)) return;
        this.destroy(envId).then(
          () => this.#logger.info({ envId }, "removed orphaned containers"),
          (error: unknown) => this.#logger.error({ envId, err: error }, "cannot remove orphaned containers"),
        );
      }, this.#orphanGraceMs);
      timer.unref();
      this.#timers.add(timer);
    }
    if (removed.length > 0) this.#logger.info({ envIds: removed }, "removed orphaned containers");
    // Fronts are processes on this host: those of environments no record claims go too.
    await stopFronts(this.#owner, (id) => !keep.has(id) && !this.#envs.has(id) && !found.has(id));
    return removed;
  }

  supervise(env: RuntimeEnvironment, deployment: Deployment, ctx: SupervisionContext): Supervision {
    return superviseContainers({
      docker: this.#docker,
      owner: this.#owner,
      env,
      deployment,
      ctx,
      logs: this.#state(env, ctx.logs).logs,
      healthTimeoutMs: this.#healthTimeoutMs,
      serviceTimeoutMs: this.#serviceTimeoutMs,
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
    ctx.event({ step: "services", app: name, status: "started", message: "restarting its container" });
    const restarted = structuredClone(deployment);
    restarted.services[name] = await restartServiceContainer({
      docker: this.#docker,
      env,
      name,
      current: deployment.services[name],
      logs: state.logs,
      signal: ctx.signal,
      readyTimeoutMs: this.#serviceTimeoutMs,
      step: "services",
    });
    ctx.event({ step: "services", app: name, status: "succeeded", message: "running again" });
    return restarted;
  }

  async exec(
    env: RuntimeEnvironment,
    deployment: Deployment,
    app: string,
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult> {
    const state = this.#envs.get(env.id);
    const handle = appContainerHandle(deployment.apps[app]);
    if (!state || !handle)
      throw new ConflictError(`environment ${env.id} has no running container for ${app}`);
    return dockerExec({
      ...options,
      docker: this.#docker,
      containerId: handle.containerId,
      app,
      command,
      logs: state.logs,
    });
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const states = [...this.#envs.values()];
    this.#envs.clear();
    await Promise.all(states.map(async (s) => Promise.all([s.logs.stopAll(), s.gateway?.close()])));
  }

  #state(env: RuntimeEnvironment, logs: LogStore): DockerEnvironment {
    let state = this.#envs.get(env.id);
    if (!state) {
      state = {
        logs: new ContainerLogs(this.#docker, env.id, env.dataDir, logs),
        ports: new EnvironmentPorts(this.#ports),
        aliases: new AliasMoves({ sharedStarts: this.#warm.parallelStarts }),
      };
      this.#envs.set(env.id, state);
    }
    state.logs.useLogs(logs);
    return state;
  }

  /** Whether the container runs and carries this previewd's and this environment's labels. */
  async #running(env: RuntimeEnvironment, containerId: string | undefined): Promise<boolean> {
    const labels = { [OWNER_LABEL]: this.#owner, [ENV_LABEL]: env.id };
    return containerId !== undefined && (await isRunningWith(this.#docker, containerId, labels));
  }

  #steps(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    deployment: Deployment,
    precreate: { hold: boolean } | false = false,
  ): DockerSteps {
    return new DockerSteps({
      docker: this.#docker,
      owner: this.#owner,
      logger: this.#logger,
      env,
      ctx,
      state: this.#state(env, ctx.logs),
      deployment,
      healthTimeoutMs: this.#healthTimeoutMs,
      serviceTimeoutMs: this.#serviceTimeoutMs,
      drainMs: this.#drainMs,
      postgresImages: this.#postgresImages,
      ...(precreate && { precreate }),
    });
  }

  async #removeEverything(envId: string): Promise<void> {
    await this.destroy(envId).catch((error: unknown) =>
      this.#logger.error({ envId, err: error }, "cannot remove the environment's containers"),
    );
  }
}
