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
import { startOrder } from "../../manifest/dependency-graph.ts";
import { asProvisionError, settleAll, step } from "../process/provision-steps.ts";
import type {
  Deployment,
  ExecOptions,
  ExecResult,
  Runtime,
  RuntimeContext,
  RuntimeEnvironment,
} from "../runtime.ts";
import { appContainerSpec, startAppContainer } from "./app-container.ts";
import { ensureAppImage } from "./app-image.ts";
import { ContainerLogs } from "./container-logs.ts";
import { dockerExec } from "./docker-exec.ts";
import { checkEngine, connectEngine, engineSocket, ignoreGone } from "./docker-engine.ts";
import { appContainerHandle, serviceContainerHandle } from "./docker-handles.ts";
import { ENV_LABEL, OWNER_LABEL, networkName } from "./docker-labels.ts";
import {
  ensureNetwork,
  labelledEnvironments,
  removeLabelled,
  type EnvironmentNetwork,
} from "./docker-objects.ts";
import { startFlagsGateway, type FlagsGateway } from "./flags-gateway.ts";
import { startPostgresContainer } from "./postgres-container.ts";
import { ensurePostgresImage } from "./postgres-image.ts";
import { isRunningWith } from "./run-container.ts";

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
   * Orphans younger than this are left for one more look after it (default 5 s): they may belong
   * to an operation that is still finishing.
   */
  orphanGraceMs?: number;
}

interface EnvState {
  logs: ContainerLogs;
  gateway?: FlagsGateway;
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
  readonly #envs = new Map<string, EnvState>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: DockerRuntimeOptions) {
    this.#owner = options.ownerId;
    this.#logger = options.logger;
    this.#socket = engineSocket(options);
    this.#docker = connectEngine(this.#socket);
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 60_000;
    this.#serviceTimeoutMs = options.serviceTimeoutMs ?? 60_000;
    this.#orphanGraceMs = options.orphanGraceMs ?? 5_000;
  }

  checkAvailable(): Promise<void> {
    return checkEngine(this.#docker, this.#socket);
  }

  async provision(env: RuntimeEnvironment, ctx: RuntimeContext): Promise<Deployment> {
    const state = this.#state(env, ctx.logs);
    const deployment: Deployment = { runtime: "docker", apps: {}, services: {} };
    try {
      const network = await step("network", undefined, () =>
        ensureNetwork(this.#docker, this.#owner, env.id),
      );
      const gateway = await this.#gateway(env, state, network);
      // Services start while images build: neither needs the other.
      const [images] = await settleAll<[Record<string, string>, void]>([
        this.#images(env, ctx, state),
        ctx.phase("services", () =>
          this.#startServices(env, ctx, state, deployment, network, Object.keys(env.manifest.services)),
        ),
      ]);
      for (const layer of startOrder(env.manifest)) {
        await ctx.phase("start", () =>
          settleAll(
            layer.map((app) => this.#startApp(env, ctx, state, deployment, network, gateway, app, images)),
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
    const labels = { [OWNER_LABEL]: this.#owner, [ENV_LABEL]: env.id };
    try {
      const network = await step("network", undefined, () =>
        ensureNetwork(this.#docker, this.#owner, env.id),
      );
      const gateway = await this.#gateway(env, state, network, this.#flagsPort(deployment));
      // Services no longer in the manifest go; new or dead ones start; running ones and their data stay.
      for (const [name, service] of Object.entries(deployment.services)) {
        if (Object.hasOwn(manifest.services, name)) continue;
        await this.#removeContainer(serviceContainerHandle(service)?.containerId);
        const volume = serviceContainerHandle(service)?.volume;
        if (volume) await ignoreGone(this.#docker.getVolume(volume).remove({ force: true }));
        await state.logs.stop(name);
        delete deployment.services[name];
      }
      const servicesToStart: string[] = [];
      for (const name of Object.keys(manifest.services)) {
        const handle = serviceContainerHandle(deployment.services[name]);
        if (!handle || !(await isRunningWith(this.#docker, handle.containerId, labels)))
          servicesToStart.push(name);
      }
      for (const [app, deployed] of Object.entries(deployment.apps)) {
        if (Object.hasOwn(manifest.apps, app)) continue;
        await this.#removeContainer(appContainerHandle(deployed)?.containerId);
        await state.logs.stop(app);
        delete deployment.apps[app];
      }
      const [images] = await settleAll<[Record<string, string>, void]>([
        this.#images(env, ctx, state),
        ctx.phase("services", () =>
          this.#startServices(env, ctx, state, deployment, network, servicesToStart),
        ),
      ]);
      // An app restarts if its container is gone or anything deciding it (image, env, limits) changed.
      const changed = new Set<string>();
      for (const app of Object.keys(manifest.apps)) {
        const deployed = deployment.apps[app];
        const handle = appContainerHandle(deployed);
        const spec = appContainerSpec(env, deployment, app, images[app] ?? "", gateway.containerFlagsUrl);
        const alive = handle !== undefined && (await isRunningWith(this.#docker, handle.containerId, labels));
        if (!alive || deployed?.inputHash !== spec.hash) changed.add(app);
        else
          ctx.event({
            step: "start",
            app,
            status: "skipped",
            message: "image and settings unchanged: kept running",
          });
      }
      for (const layer of startOrder(manifest)) {
        const restart = layer.filter((app) => changed.has(app));
        if (restart.length === 0) continue;
        await ctx.phase("start", () =>
          settleAll(
            restart.map(async (app) => {
              const previous = appContainerHandle(deployment.apps[app]);
              await this.#removeContainer(previous?.containerId);
              await this.#startApp(
                env,
                ctx,
                state,
                deployment,
                network,
                gateway,
                app,
                images,
                previous?.hostPort,
              );
            }),
          ),
        );
      }
      return deployment;
    } catch (error) {
      const failure = asProvisionError(error, "start");
      ctx.event({ step: failure.step, app: failure.app, status: "failed", message: failure.message });
      // A failed build leaves the previous container running; a failed start or health check does not.
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
    const labels = { [OWNER_LABEL]: this.#owner, [ENV_LABEL]: env.id };
    try {
      const network = await this.#docker.getNetwork(networkName(env.id)).inspect();
      if ((network as { Labels?: Record<string, string> }).Labels?.[OWNER_LABEL] !== this.#owner)
        return undefined;
      const containers: [string, string][] = [];
      for (const [name, service] of Object.entries(deployment.services)) {
        const handle = serviceContainerHandle(service);
        if (!handle || !(await isRunningWith(this.#docker, handle.containerId, labels))) return undefined;
        containers.push([name, handle.containerId]);
      }
      for (const [app, deployed] of Object.entries(deployment.apps)) {
        const handle = appContainerHandle(deployed);
        if (!handle || !(await isRunningWith(this.#docker, handle.containerId, labels))) return undefined;
        containers.push([app, handle.containerId]);
      }
      const state = this.#state(env, ctx.logs);
      const gateway = await ensureNetwork(this.#docker, this.#owner, env.id);
      // The containers' PREVIEW_FLAGS_URL names this port: listen on it again.
      await this.#gateway(env, state, gateway, this.#flagsPort(deployment));
      await Promise.all(containers.map(([name, id]) => state.logs.follow(name, id, true)));
      this.#logger.info({ envId: env.id }, "adopted running containers");
      return deployment;
    } catch (error) {
      this.#logger.warn({ envId: env.id, err: error }, "cannot adopt the environment's containers");
      return undefined;
    }
  }

  async destroy(envId: string): Promise<void> {
    const state = this.#envs.get(envId);
    this.#envs.delete(envId);
    await state?.gateway?.close();
    await state?.logs.discard();
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
    return removed;
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

  #state(env: RuntimeEnvironment, logs: LogStore): EnvState {
    let state = this.#envs.get(env.id);
    if (!state) {
      state = { logs: new ContainerLogs(this.#docker, env.id, env.dataDir, logs) };
      this.#envs.set(env.id, state);
    }
    state.logs.useLogs(logs);
    return state;
  }

  #flagsPort(deployment: Deployment): number | undefined {
    return Object.values(deployment.apps)
      .map((app) => appContainerHandle(app)?.flagsPort)
      .find((port) => port !== undefined);
  }

  async #gateway(
    env: RuntimeEnvironment,
    state: EnvState,
    network: EnvironmentNetwork,
    port?: number,
  ): Promise<FlagsGateway> {
    if (state.gateway) {
      state.gateway.retarget(env.flagsUrl);
      return state.gateway;
    }
    state.gateway = await step("network", undefined, () =>
      startFlagsGateway({
        host: network.gateway,
        ...(port && { port }),
        flagsUrl: env.flagsUrl,
        logger: this.#logger,
      }),
    );
    return state.gateway;
  }

  /** Each app's image reference: built (or found by content hash) one after another, pulled if named. */
  async #images(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    state: EnvState,
  ): Promise<Record<string, string>> {
    const images: Record<string, string> = {};
    for (const app of startOrder(env.manifest).flat()) {
      images[app] = await ctx.phase("build", () =>
        step("build", app, async () => {
          ctx.event({ step: "build", app, status: "started", message: "image" });
          const image = await ensureAppImage({
            docker: this.#docker,
            rootDir: env.rootDir,
            manifest: env.manifest,
            app,
            labels: { owner: this.#owner, envId: env.id },
            signal: ctx.signal,
            onLine: (line) => state.logs.line(app, "stdout", line),
          });
          ctx.event({
            step: "build",
            app,
            status: image.built ? "succeeded" : "skipped",
            message: image.built ? `built ${image.ref}` : `${image.ref} already built`,
          });
          return image.ref;
        }),
      );
    }
    return images;
  }

  async #startServices(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    state: EnvState,
    deployment: Deployment,
    network: EnvironmentNetwork,
    names: string[],
  ): Promise<void> {
    await settleAll(
      names.map((name) =>
        step("services", name, async () => {
          const spec = env.manifest.services[name];
          if (!spec) return;
          ctx.event({ step: "services", app: name, status: "started", message: "postgres container" });
          const image = await ensurePostgresImage(this.#docker, {
            ...(spec.image && { image: spec.image }),
            owner: this.#owner,
            service: name,
            logger: this.#logger,
            signal: ctx.signal,
          });
          const previous = serviceContainerHandle(deployment.services[name]);
          await this.#removeContainer(previous?.containerId);
          deployment.services[name] = await startPostgresContainer({
            docker: this.#docker,
            owner: this.#owner,
            envId: env.id,
            name,
            database: spec.database ?? name,
            image,
            network: network.name,
            logs: state.logs,
            ...(previous && { previous }),
            signal: ctx.signal,
            readyTimeoutMs: this.#serviceTimeoutMs,
            onCreated: async (service) => {
              deployment.services[name] = service;
              await ctx.checkpoint(structuredClone(deployment));
            },
          });
          await ctx.checkpoint(structuredClone(deployment));
          ctx.event({ step: "services", app: name, status: "succeeded", message: `running (${image})` });
        }),
      ),
    );
  }

  async #startApp(
    env: RuntimeEnvironment,
    ctx: RuntimeContext,
    state: EnvState,
    deployment: Deployment,
    network: EnvironmentNetwork,
    gateway: FlagsGateway,
    app: string,
    images: Record<string, string>,
    hostPort?: number,
  ): Promise<void> {
    await step("start", app, async () => {
      const spec = appContainerSpec(env, deployment, app, images[app] ?? "", gateway.containerFlagsUrl);
      deployment.apps[app] = await startAppContainer({
        docker: this.#docker,
        owner: this.#owner,
        env,
        ctx,
        app,
        spec,
        network,
        flagsPort: gateway.port,
        ...(hostPort && { hostPort }),
        logs: state.logs,
        healthTimeoutMs: this.#healthTimeoutMs,
        onCreated: async (started) => {
          deployment.apps[app] = started;
          await ctx.checkpoint(structuredClone(deployment));
        },
      });
      await ctx.checkpoint(structuredClone(deployment));
    });
  }

  async #removeContainer(id: string | undefined): Promise<void> {
    if (id) await ignoreGone(this.#docker.getContainer(id).remove({ force: true, v: true }));
  }

  async #removeEverything(envId: string): Promise<void> {
    await this.destroy(envId).catch((error: unknown) =>
      this.#logger.error({ envId, err: error }, "cannot remove the environment's containers"),
    );
  }
}
