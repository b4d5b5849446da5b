/**
 * The docker runtime's part of one provision, update or adoption (see deploy-flow.ts): the
 * environment's network and flags gateway, app images, Postgres and app containers, and removing
 * what is no longer wanted.
 */
import type Docker from "dockerode";
import type { Logger } from "../../logger.ts";
import { startOrder } from "../../manifest/dependency-graph.ts";
import { buildEnvironments } from "../build-values.ts";
import type { AppBuilds } from "../deploy-flow.ts";
import { settleAll, step } from "../provision-steps.ts";
import type { Deployment, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { stopFront } from "../fronts/app-front.ts";
import type { EnvironmentPorts } from "../process/environment-ports.ts";
import { appContainerSpec } from "./app-container.ts";
import { AppPrecreation, type PrecreationNetwork } from "./app-precreation.ts";
import { switchAppContainer } from "./container-switchover.ts";
import type { AliasMoves } from "./network-aliases.ts";
import { ensureAppImage, planAppImage } from "./app-image.ts";
import type { ContainerLogs } from "./container-logs.ts";
import { ignoreGone } from "./docker-engine.ts";
import { appContainerHandle, serviceContainerHandle } from "./docker-handles.ts";
import { ensureNetwork, type EnvironmentNetwork } from "./docker-objects.ts";
import { startFlagsGateway, type FlagsGateway } from "./flags-gateway.ts";
import { ImageBuildOrder, type JobControl } from "./image-builds.ts";
import type { PostgresImages } from "./postgres-images.ts";
import { runReleaseContainer } from "./release-container.ts";
import { startPostgresAgain } from "./service-restart.ts";
import { imageExists } from "./rootfs-image.ts";
import { startService } from "./start-service.ts";

/**
 * What the docker runtime holds in memory per environment: its log streams, flags gateway, the
 * ports of its apps' fronts, and the order in which app containers take their names (network-aliases.ts).
 */
export interface DockerEnvironment {
  logs: ContainerLogs;
  gateway?: FlagsGateway;
  ports: EnvironmentPorts;
  aliases: AliasMoves;
}

export interface DockerStepsOptions {
  docker: Docker;
  owner: string;
  logger: Logger;
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  state: DockerEnvironment;
  /** Changed in place as things start and stop. */
  deployment: Deployment;
  healthTimeoutMs: number;
  serviceTimeoutMs: number;
  /** How long a replaced app container may finish its connections before it stops (container-switchover.ts). */
  drainMs: number;
  /** Which image a postgres service runs (remembered between environments). */
  postgresImages: PostgresImages;
  /**
   * Create the apps' first containers ahead of their start (app-precreation.ts), when
   * provisioning; with `hold`, start them too, their process held until their turn (held-start.ts).
   */
  precreate?: { hold: boolean };
}

/** The environment's network and the flags gateway on it, which app containers need. */
export interface Connected {
  network: EnvironmentNetwork;
  gateway: FlagsGateway;
}

export class DockerSteps {
  readonly #o: DockerStepsOptions;
  readonly #precreation: AppPrecreation | undefined;
  /** What app containers are created from, once known: the network, and each app's image. */
  #on: PrecreationNetwork | undefined;
  readonly #images: Record<string, string> = {};

  constructor(options: DockerStepsOptions) {
    this.#o = options;
    if (options.precreate) this.#precreation = new AppPrecreation({ ...options, ...options.precreate });
  }

  /** Containers still being created ahead have landed (labelled), so a cleanup after this finds them. */
  settle(): Promise<void> {
    return this.#precreation?.settle() ?? Promise.resolve();
  }

  /** The network, and the flags gateway on the port the containers' PREVIEW_FLAGS_URL already names. */
  async connect(): Promise<Connected> {
    const connected = await this.#connect();
    this.#on = { network: connected.network, flagsUrl: connected.gateway.containerFlagsUrl };
    return connected;
  }

  async #connect(): Promise<Connected> {
    const { docker, owner, env, state } = this.#o;
    const network = await step("network", undefined, () => ensureNetwork(docker, owner, env.id));
    if (state.gateway) {
      state.gateway.retarget(env.flagsUrl);
      return { network, gateway: state.gateway };
    }
    const port = Object.values(this.#o.deployment.apps)
      .map((app) => appContainerHandle(app)?.flagsPort)
      .find((flagsPort) => flagsPort !== undefined);
    state.gateway = await step("network", undefined, () =>
      startFlagsGateway({
        host: network.gateway,
        ...(port && { port }),
        flagsUrl: env.flagsUrl,
        logger: this.#o.logger,
      }),
    );
    return { network, gateway: state.gateway };
  }

  /**
   * Hashes every app's build context (its image's tag is the hash), then each app's image: found
   * by that tag, pulled, or built with its build environment as build args (image-builds.ts
   * orders builds that share leading steps). Only a pull or build counts in the `build` phase.
   */
  async prepareBuilds(): Promise<AppBuilds> {
    const { docker, env, ctx, state } = this.#o;
    const apps = startOrder(env.manifest).flat();
    const variables = await step("build", undefined, async () => buildEnvironments(env));
    const plans = await settleAll(
      apps.map((app) =>
        step("build", app, async () => {
          const plan = await planAppImage({
            rootDir: env.rootDir,
            manifest: env.manifest,
            app,
            ...(variables[app] && { variables: variables[app] }),
          });
          return { plan, found: await imageExists(docker, plan.ref) };
        }),
      ),
    );
    const order = new ImageBuildOrder(
      plans.map(({ plan, found }) => ({
        plan,
        found,
        app: plan.app,
        ...(plan.kind === "build" && !found && { steps: plan.context.steps, inputs: plan.inputs }),
      })),
    );
    const image = (job: (typeof order.jobs)[number], control: JobControl) =>
      step("build", job.app, async () => {
        const { plan, app } = job;
        if (job.found) {
          ctx.event({ step: "build", app, status: "skipped", message: `${plan.ref} already built` });
          return plan.ref;
        }
        return ctx.phase("build", async () => {
          const after =
            control.after && ` (its first ${control.after.steps} steps from ${control.after.app}'s)`;
          ctx.event({ step: "build", app, status: "started", message: `image${after ?? ""}` });
          const made = await ensureAppImage(plan, {
            docker,
            owner: this.#o.owner,
            envId: env.id,
            manifest: env.manifest,
            signal: control.signal,
            onLine: (line) => state.logs.line(app, "stdout", line),
            onStep: control.onStep,
          });
          ctx.event({
            step: "build",
            app,
            status: made.built ? "succeeded" : "skipped",
            message: made.built ? `built ${made.ref}` : `${made.ref} already built`,
          });
          return made.ref;
        });
      });
    return {
      sharedWorktree: false,
      build: async (app, signal) => {
        const ref = await order.run(apps.indexOf(app), signal, image);
        this.#images[app] = ref;
        this.#precreation?.offer(app, ref, this.#on);
        return ref;
      },
    };
  }

  async startServices(network: EnvironmentNetwork, names: string[]): Promise<void> {
    const { docker, owner, env, ctx, deployment } = this.#o;
    await settleAll(
      names.map((name) =>
        step("services", name, async () => {
          const previous = deployment.services[name];
          // Postgres whose data is in its container's layer starts that container again, if it is still there.
          const again = await startPostgresAgain({
            docker,
            env,
            ctx,
            name,
            current: previous,
            logs: this.#o.state.logs,
            readyTimeoutMs: this.#o.serviceTimeoutMs,
          });
          if (again) {
            deployment.services[name] = again;
            await ctx.checkpoint(structuredClone(deployment));
            return;
          }
          await this.#removeContainer(serviceContainerHandle(previous)?.containerId);
          const service = await startService({
            docker,
            owner,
            logger: this.#o.logger,
            env,
            ctx,
            name,
            network: network.name,
            logs: this.#o.state.logs,
            postgresImages: this.#o.postgresImages,
            previous,
            readyTimeoutMs: this.#o.serviceTimeoutMs,
            onCreated: async (created) => {
              deployment.services[name] = created;
              await ctx.checkpoint(structuredClone(deployment));
              // The apps using it know their env now.
              for (const [app, image] of Object.entries(this.#images))
                this.#precreation?.offer(app, image, this.#on);
            },
          });
          if (!service) return;
          deployment.services[name] = service;
          await ctx.checkpoint(structuredClone(deployment));
        }),
      ),
    );
  }

  /** The hash of everything deciding the app's container (image, env, limits). */
  appSpecHash(app: string, images: Record<string, string>, gateway: FlagsGateway): string {
    const { env, deployment } = this.#o;
    return appContainerSpec(env, deployment, app, images[app] ?? "", gateway.containerFlagsUrl).hash;
  }

  /** Starts the app's container; on update, beside the old one, which goes once the new one serves. */
  async startApp(connected: Connected, app: string, images: Record<string, string>): Promise<void> {
    const { env, deployment } = this.#o;
    const { network, gateway } = connected;
    const spec = await step("start", app, async () =>
      appContainerSpec(env, deployment, app, images[app] ?? "", gateway.containerFlagsUrl),
    );
    const created = await this.#precreation?.take(app, spec.hash);
    await switchAppContainer({
      ...this.#o,
      app,
      spec,
      network,
      flagsPort: gateway.port,
      ...(created && { created }),
    });
  }

  /** The app's `release` in a one-shot container of its image, with its env, on the environment's network. */
  async release(connected: Connected, app: string, images: Record<string, string>): Promise<void> {
    const { env, ctx, deployment } = this.#o;
    const { network, gateway } = connected;
    const spec = appContainerSpec(env, deployment, app, images[app] ?? "", gateway.containerFlagsUrl);
    await runReleaseContainer({
      docker: this.#o.docker,
      owner: this.#o.owner,
      env,
      ctx,
      app,
      spec,
      network,
      logs: this.#o.state.logs,
    });
  }

  /** Removes the service's container and volume, and drops it from the deployment. */
  async removeService(name: string): Promise<void> {
    const { deployment } = this.#o;
    const handle = serviceContainerHandle(deployment.services[name]);
    await this.#removeContainer(handle?.containerId);
    if (handle?.volume) await ignoreGone(this.#o.docker.getVolume(handle.volume).remove({ force: true }));
    await this.#o.state.logs.stop(name);
    delete deployment.services[name];
  }

  /** Removes the app's container and front, and drops it from the deployment. */
  async removeApp(app: string): Promise<void> {
    const { env, owner, state } = this.#o;
    const handle = appContainerHandle(this.#o.deployment.apps[app]);
    await this.#removeContainer(handle?.containerId);
    await stopFront({ owner, envId: env.id, dataDir: env.dataDir, app }, handle?.front);
    state.ports.release(handle?.front?.port);
    await state.logs.stop(app);
    delete this.#o.deployment.apps[app];
  }

  async #removeContainer(id: string | undefined): Promise<void> {
    if (id) await ignoreGone(this.#o.docker.getContainer(id).remove({ force: true, v: true }));
  }
}
