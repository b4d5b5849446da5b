/**
 * The flow every runtime provisions and updates by: services start while the install and builds
 * run, each app starts once it, the services it uses and the apps it depends on are ready (its
 * `release` first), an update restarts only what died or changed, and a failure is reported once
 * as a ProvisionError. The order itself is deploy-schedule.ts; runtimes plug in what they run
 * (processes, containers).
 */
import type { Manifest } from "../manifest/manifest-schema.ts";
import type { ProvisionError } from "../errors.ts";
import { runSchedule, type AppBuilds, type PipelineOptions } from "./deploy-schedule.ts";
import { asProvisionError } from "./provision-steps.ts";
import type { Deployment, RuntimeContext } from "./runtime.ts";

export type { AppBuilds, PipelineOptions } from "./deploy-schedule.ts";

/** What a runtime runs at each point of the flow. */
export interface DeploySteps {
  /** How builds and starts are ordered (deploy-schedule.ts); default concurrent. */
  pipeline?: PipelineOptions;
  /** What every build needs first (the install, hashing build contexts), once; then each app's build. */
  prepareBuilds(): Promise<AppBuilds>;
  startServices(names: string[]): Promise<void>;
  /** Once, before the first app's release or start. */
  beforeApps?(): Promise<void>;
  /**
   * Runs the app's `release` to completion with the app's environment, before it starts: only
   * for an app that has one and starts new or with changed inputs. Exit code != 0 throws a
   * ProvisionError with step `release`.
   */
  release(app: string, built: Record<string, string>): Promise<void>;
  /** Starts the app, or on update restarts it (stopping the old one first). */
  startApp(app: string, built: Record<string, string>): Promise<void>;
}

export interface UpdateSteps extends DeploySteps {
  serviceRunning(name: string): Promise<boolean>;
  appRunning(app: string): Promise<boolean>;
  /** Stops the service or app and removes it from the deployment (and a service's data). */
  removeService(name: string): Promise<void>;
  removeApp(app: string): Promise<void>;
  /** Whether anything deciding a running app changed, so it must restart (and release again). */
  inputsChanged(app: string, built: Record<string, string>): boolean;
  /** The message of the `skipped` event of an app kept running. */
  keptMessage: string;
}

/**
 * Provisions from scratch. `prepare` runs first, inside the failure handling (the docker runtime
 * makes the network its steps use); on failure `removeEverything` cleans up before the rethrow.
 */
export async function provisionWith(
  manifest: Manifest,
  ctx: RuntimeContext,
  prepare: () => Promise<DeploySteps>,
  removeEverything: () => Promise<void>,
): Promise<void> {
  try {
    const steps = await prepare();
    await runSchedule(
      manifest,
      ctx,
      Object.keys(manifest.services),
      {
        ...scheduled(steps),
        plan: async (app) => ({ start: true, release: manifest.apps[app]?.release !== undefined }),
      },
      steps.pipeline,
    );
  } catch (error) {
    const failure = reported(ctx, error);
    await removeEverything();
    throw failure;
  }
}

/** Updates `deployment` in place; on failure checkpoints what is running now before the rethrow. */
export async function updateWith(
  manifest: Manifest,
  ctx: RuntimeContext,
  deployment: Deployment,
  prepare: () => Promise<UpdateSteps>,
): Promise<void> {
  let appRunning: UpdateSteps["appRunning"] = () => Promise.resolve(false);
  try {
    const steps = await prepare();
    appRunning = (app) => steps.appRunning(app);
    // Services no longer in the manifest go; new or dead ones start; running ones and their data stay.
    for (const name of Object.keys(deployment.services)) {
      if (!Object.hasOwn(manifest.services, name)) await steps.removeService(name);
    }
    const servicesToStart: string[] = [];
    for (const name of Object.keys(manifest.services)) {
      if (!(await steps.serviceRunning(name))) servicesToStart.push(name);
    }
    for (const app of Object.keys(deployment.apps)) {
      if (!Object.hasOwn(manifest.apps, app)) await steps.removeApp(app);
    }
    const plan = async (app: string, built: Record<string, string>) => {
      // Its release reruns only with new inputs: an app that merely died restarts as it was.
      const changed = steps.inputsChanged(app, built);
      if (changed) return { start: true, release: manifest.apps[app]?.release !== undefined };
      if (!(await steps.appRunning(app))) return { start: true, release: false };
      ctx.event({ step: "start", app, status: "skipped", message: steps.keptMessage });
      return { start: false, release: false };
    };
    await runSchedule(manifest, ctx, servicesToStart, { ...scheduled(steps), plan }, steps.pipeline);
  } catch (error) {
    const failure = reported(ctx, error);
    // A failed build or release leaves the previous app running; a failed start or health check
    // too, where the new instance starts beside the old one (zero-downtime runtimes).
    const stopped = failure.step === "start" || failure.step === "health";
    const app = failure.app === undefined ? undefined : deployment.apps[failure.app];
    if (stopped && app && !(await appRunning(failure.app!).catch(() => false))) app.status = "failed";
    await ctx.checkpoint(structuredClone(deployment)).catch(() => undefined);
    throw failure;
  }
}

function scheduled(steps: DeploySteps) {
  return {
    prepareBuilds: () => steps.prepareBuilds(),
    startService: (name: string) => steps.startServices([name]),
    beforeApps: async () => steps.beforeApps?.(),
    release: (app: string, built: Record<string, string>) => steps.release(app, built),
    startApp: (app: string, built: Record<string, string>) => steps.startApp(app, built),
  };
}

function reported(ctx: RuntimeContext, error: unknown): ProvisionError {
  const failure = asProvisionError(error, "start");
  ctx.event({ step: failure.step, app: failure.app, status: "failed", message: failure.message });
  return failure;
}
