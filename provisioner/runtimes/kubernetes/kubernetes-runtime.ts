/**
 * The `kubernetes` runtime: per environment a Pulumi stack (`<owner>--<env-id>`) whose inline
 * program (preview-program.ts) makes a labelled namespace and everything in it; images built per
 * commit and pushed to the configured registry; pod logs followed into the log store; each app's
 * `directUrl`, each service and the namespace's Chromium reached through loopback port-forwards.
 * A restarted previewd cancels and refreshes a stack an operation was cut short on, and finds its
 * stacks (backend) and namespaces (labels) without a record.
 */
import { ConflictError, errorMessage } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { LogStore } from "../../logs/log-store.ts";
import type { Deployment, ExecResult, Runtime, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import type { ClusterAccess, Forward, LogFollower } from "./cluster-access.ts";
import { browserPort, connectDeployment } from "./kubernetes-deployment.ts";
import { envIdOfStack, namespaceSelector, stackName } from "./kubernetes-labels.ts";
import type { KubernetesRuntimeSettings } from "./kubernetes-settings.ts";
import type { ImagePublisher } from "./image-publisher.ts";
import type { PreviewProgram, PreviewProgramInput, PreviewProgramOutputs } from "./preview-program.ts";
import type { PreviewStack, PulumiEngine } from "./pulumi-engine.ts";
import { publishImages, servicePasswords } from "./stack-images.ts";
import { marked, runStackOperation, unfinishedOperation } from "./stack-operation.ts";

/** The parts the runtime drives, made on first use (the real ones need the pulumi CLI, a cluster, Docker). */
export interface KubernetesParts {
  engine(): Promise<PulumiEngine>;
  cluster(): Promise<ClusterAccess>;
  images(): Promise<ImagePublisher>;
  program(input: PreviewProgramInput): PreviewProgram;
  /** Throws RuntimeUnavailableError naming what is missing (kubernetes-prerequisites.ts). */
  checkAvailable(): Promise<void>;
}

export interface KubernetesRuntimeOptions {
  ownerId: string;
  logger: Logger;
  settings: KubernetesRuntimeSettings;
  parts: KubernetesParts;
  /** Namespaces younger than this are left to one more reconcile: an operation may still be making them. */
  orphanGraceMs?: number;
}

interface EnvironmentState {
  forwards: Map<string, Forward>;
  logs?: LogFollower;
}

export function createKubernetesRuntime(options: KubernetesRuntimeOptions): KubernetesRuntime {
  return new KubernetesRuntime(options);
}

export class KubernetesRuntime implements Runtime {
  readonly name = "kubernetes" as const;
  readonly #o: KubernetesRuntimeOptions;
  readonly #envs = new Map<string, EnvironmentState>();

  constructor(options: KubernetesRuntimeOptions) {
    this.#o = options;
  }

  checkAvailable(): Promise<void> {
    return this.#o.parts.checkAvailable();
  }

  /** The loopback port forwarded to the environment's Chromium (the bridge's browser), if it runs. */
  browserPort(envId: string): number | undefined {
    const state = this.#envs.get(envId);
    return state && browserPort(state.forwards);
  }

  async provision(env: RuntimeEnvironment, ctx: RuntimeContext): Promise<Deployment> {
    try {
      return await this.#deploy(env, ctx);
    } catch (error) {
      // Nothing half-made stays: the stack's objects, the stack, the namespace, the forwards.
      await this.destroy(env.id, env.dataDir).catch((cleanup: unknown) =>
        this.#o.logger.error({ envId: env.id, err: cleanup }, "cannot remove a failed environment"),
      );
      throw error;
    }
  }

  /** Pulumi compares the new program with the stack: only the objects that changed (an image, an env var) roll. */
  update(env: RuntimeEnvironment, current: Deployment, ctx: RuntimeContext): Promise<Deployment> {
    return this.#deploy(env, ctx, current);
  }

  async #deploy(env: RuntimeEnvironment, ctx: RuntimeContext, current?: Deployment): Promise<Deployment> {
    const images = await publishImages(await this.#o.parts.images(), env, ctx);
    const passwords = servicePasswords(env, current?.services);
    // Recorded before the stack exists, so a crash from here on is found and undone by a restart.
    await ctx.checkpoint(current ?? { runtime: "kubernetes", apps: {}, services: {} });
    const stack = await this.#stack(env, images, passwords);
    const outputs = await ctx.phase("start", () => runStackOperation(env, ctx, "up", (o) => stack.up(o)));
    const deployment = await connectDeployment({
      manifest: env.manifest,
      stack: stack.name,
      outputs,
      images,
      passwords,
      cluster: await this.#o.parts.cluster(),
      forwards: this.#state(env.id).forwards,
      ...(current && { previous: current }),
    });
    await this.#followLogs(env, outputs, ctx.logs);
    for (const [app, deployed] of Object.entries(deployment.apps)) {
      const kept = current?.apps[app]?.inputHash === deployed.inputHash;
      ctx.event({
        step: "start",
        app,
        status: kept ? "skipped" : "succeeded",
        message: kept
          ? "image and settings unchanged: kept running"
          : `ready at ${String(deployed.handle.url)}`,
      });
    }
    return deployment;
  }

  async adopt(
    env: RuntimeEnvironment,
    deployment: Deployment,
    ctx: RuntimeContext,
  ): Promise<Deployment | undefined> {
    try {
      const images = Object.fromEntries(
        [...Object.entries(deployment.apps), ...Object.entries(deployment.services)].flatMap(([name, d]) =>
          typeof d.handle.image === "string" ? [[name, d.handle.image]] : [],
        ),
      );
      const stack = await this.#stack(env, images, servicePasswords(env, deployment.services));
      const unfinished = await unfinishedOperation(env.dataDir);
      if (unfinished) {
        // previewd stopped mid-operation: the stack is still locked and may hold pending creates.
        this.#o.logger.warn(
          { envId: env.id, operation: unfinished },
          "recovering a stack an operation was cut short on",
        );
        await stack
          .cancel()
          .catch((error: unknown) =>
            this.#o.logger.info({ envId: env.id, reason: errorMessage(error) }, "no lock to cancel"),
          );
        await runStackOperation(env, ctx, "refresh", (o) =>
          stack.refresh({ ...o, clearPendingCreates: true }),
        );
      }
      const outputs = await stack.outputs();
      if (!outputs || Object.keys(deployment.apps).length === 0) return undefined;
      const adopted = await connectDeployment({
        manifest: env.manifest,
        stack: stack.name,
        outputs,
        images,
        passwords: servicePasswords(env, deployment.services),
        cluster: await this.#o.parts.cluster(),
        forwards: this.#state(env.id).forwards,
        previous: deployment,
      });
      await this.#followLogs(env, outputs, ctx.logs);
      this.#o.logger.info({ envId: env.id, stack: stack.name }, "adopted the environment's stack");
      return adopted;
    } catch (error) {
      this.#o.logger.warn({ envId: env.id, err: error }, "cannot adopt the environment's stack");
      await this.#stop(env.id);
      return undefined;
    }
  }

  async destroy(envId: string, dataDir: string): Promise<void> {
    await this.#stop(envId);
    const name = stackName(this.#o.ownerId, envId);
    const engine = await this.#available(() => this.#o.parts.engine());
    if (engine && (await engine.listStacks()).some((s) => s.split("/").pop() === name)) {
      const stack = await engine.createOrSelectStack(name, () =>
        Promise.reject(new ConflictError("destroy only")),
      );
      await stack.cancel().catch(() => undefined);
      await (dataDir ? marked(dataDir, "destroy", () => stack.destroy()) : stack.destroy());
      await engine.removeStack(name);
    }
    // Whatever a stack lost track of (a crash before its state was written) goes with its namespace.
    const cluster = await this.#available(() => this.#o.parts.cluster());
    if (!cluster) return;
    for (const namespace of await cluster.namespaces(namespaceSelector(this.#o.ownerId, envId))) {
      await cluster.deleteNamespace(namespace.name);
    }
  }

  async reconcile(keep: ReadonlySet<string>): Promise<string[]> {
    // Without the pulumi CLI or a cluster nothing of ours can be running: previewd starts at once.
    if (!(await this.#available(() => Promise.resolve(true)))) return [];
    const orphans = new Set<string>();
    const engine = await this.#available(() => this.#o.parts.engine());
    for (const stack of engine ? await engine.listStacks() : []) {
      const envId = envIdOfStack(this.#o.ownerId, stack);
      if (envId && !keep.has(envId) && !this.#envs.has(envId)) orphans.add(envId);
    }
    const cluster = await this.#available(() => this.#o.parts.cluster());
    const now = Date.now();
    for (const namespace of cluster ? await cluster.namespaces(namespaceSelector(this.#o.ownerId)) : []) {
      const young = now - namespace.created < (this.#o.orphanGraceMs ?? 5_000);
      if (!keep.has(namespace.envId) && !this.#envs.has(namespace.envId) && !young)
        orphans.add(namespace.envId);
    }
    const removed: string[] = [];
    for (const envId of orphans) {
      try {
        // An orphan has no data dir of ours any more: nothing to mark.
        await this.destroy(envId, "");
        removed.push(envId);
      } catch (error) {
        this.#o.logger.error({ envId, err: error }, "cannot remove an orphaned environment");
      }
    }
    if (removed.length > 0)
      this.#o.logger.info({ envIds: removed }, "removed orphaned kubernetes environments");
    return removed;
  }

  /** Kubernetes restarts what it runs itself; a service restart is a rollout the next update makes. */
  restartService(env: RuntimeEnvironment, _deployment: Deployment, name: string): Promise<Deployment> {
    return Promise.reject(
      new ConflictError(
        `restarting service ${name} of ${env.id} is not supported on the kubernetes runtime yet`,
      ),
    );
  }

  exec(env: RuntimeEnvironment, _deployment: Deployment, app: string): Promise<ExecResult> {
    return Promise.reject(
      new ConflictError(
        `running a command in ${app} of ${env.id} is not supported on the kubernetes runtime yet`,
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.#envs.keys()].map((id) => this.#stop(id)));
  }

  #state(envId: string): EnvironmentState {
    let state = this.#envs.get(envId);
    if (!state) {
      state = { forwards: new Map() };
      this.#envs.set(envId, state);
    }
    return state;
  }

  async #stop(envId: string): Promise<void> {
    const state = this.#envs.get(envId);
    this.#envs.delete(envId);
    await state?.logs?.stop();
    for (const forward of state?.forwards.values() ?? []) await forward.close();
  }

  async #followLogs(env: RuntimeEnvironment, outputs: PreviewProgramOutputs, logs: LogStore): Promise<void> {
    const state = this.#state(env.id);
    state.logs ??= (await this.#o.parts.cluster()).followLogs(env.id, outputs.namespace, logs);
  }

  async #stack(
    env: RuntimeEnvironment,
    images: Record<string, string>,
    passwords: Record<string, string>,
  ): Promise<PreviewStack> {
    const { settings } = this.#o;
    const input: PreviewProgramInput = {
      manifest: env.manifest,
      environment: {
        id: env.id,
        ref: env.ref,
        commit: env.commit,
        baseDomain: settings.baseDomain,
        flagsUrl: env.flagsUrl,
        owner: this.#o.ownerId,
        ...(env.flagsToken && { flagsToken: env.flagsToken }),
      },
      images,
      servicePasswords: passwords,
      settings: {
        registry: settings.registry ?? "",
        ...(settings.ingressClass && { ingressClass: settings.ingressClass }),
        ...(settings.storageClass && { storageClass: settings.storageClass }),
        ...(settings.browserImage && { browserImage: settings.browserImage }),
      },
    };
    const engine = await this.#o.parts.engine();
    return engine.createOrSelectStack(stackName(this.#o.ownerId, env.id), this.#o.parts.program(input));
  }

  /** Resolves with the part, or undefined (logged) when this machine cannot reach it: nothing of ours is there. */
  async #available<T>(make: () => Promise<T>): Promise<T | undefined> {
    try {
      await this.#o.parts.checkAvailable();
      return await make();
    } catch (error) {
      this.#o.logger.debug(
        { reason: errorMessage(error) },
        "kubernetes runtime not reachable: nothing to clean",
      );
      return undefined;
    }
  }
}
