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
import type {
  Deployment,
  ExecOptions,
  ExecResult,
  Runtime,
  RuntimeContext,
  RuntimeEnvironment,
} from "../runtime.ts";
import { asProvisionError } from "../provision-steps.ts";
import type { ClusterAccess, Forward, LogFollower } from "./cluster-access.ts";
import { browserPort, connectDeployment } from "./kubernetes-deployment.ts";
import { envIdOfStack, namespaceSelector, stackName } from "./kubernetes-labels.ts";
import type { KubernetesRuntimeSettings } from "./kubernetes-settings.ts";
import type { ImagePublisher } from "./image-publisher.ts";
import type { PreviewProgram, PreviewProgramInput, PreviewProgramOutputs } from "./preview-program.ts";
import { programInput } from "./program-input.ts";
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
  /** Where the environment's lines go (an exec's output too). */
  store?: LogStore;
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

  /** The environment's Chromium for the CDP bridge, through that forward (Runtime.browserEndpoint). */
  browserEndpoint(envId: string): string | undefined {
    const port = this.browserPort(envId);
    return port === undefined ? undefined : `http://127.0.0.1:${port}`;
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

  /** The service's pods are deleted and its controller starts new ones (a twin forgets what it held). */
  async restartService(
    env: RuntimeEnvironment,
    deployment: Deployment,
    name: string,
    ctx: RuntimeContext,
  ): Promise<Deployment> {
    const namespace = deployment.services[name]?.handle.namespace;
    if (typeof namespace !== "string")
      throw new ConflictError(`environment ${env.id} has no service ${name}`);
    ctx.event({ step: "services", app: name, status: "started", message: "restarting its pod" });
    try {
      await (await this.#o.parts.cluster()).restartPods(namespace, name);
    } catch (error) {
      throw asProvisionError(error, "services", name);
    }
    ctx.event({ step: "services", app: name, status: "succeeded", message: "running again" });
    return structuredClone(deployment);
  }

  async exec(
    env: RuntimeEnvironment,
    deployment: Deployment,
    app: string,
    command: string,
    options: ExecOptions,
  ): Promise<ExecResult> {
    const handle = deployment.apps[app]?.handle;
    if (typeof handle?.namespace !== "string" || typeof handle.service !== "string") {
      throw new ConflictError(`environment ${env.id} has no running pod for ${app}`);
    }
    const cluster = await this.#o.parts.cluster();
    return cluster.exec(handle.namespace, handle.service, command, {
      ...options,
      onLine: (line) => this.#envs.get(env.id)?.store?.append(env.id, { app, stream: "stdout", line }),
    });
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
    state.store = logs;
    state.logs ??= (await this.#o.parts.cluster()).followLogs(env.id, outputs.namespace, logs);
  }

  async #stack(
    env: RuntimeEnvironment,
    images: Record<string, string>,
    passwords: Record<string, string>,
  ): Promise<PreviewStack> {
    const input = programInput(env, this.#o.settings, this.#o.ownerId, images, passwords);
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
