/**
 * The flow every runtime provisions and updates by: builds run while services start, apps start
 * layer by layer in dependency order, an update restarts only what died or changed, and a failure
 * is reported once as a ProvisionError. Runtimes plug in what they run (processes, containers).
 */
import { startOrder } from "../manifest/dependency-graph.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import type { ProvisionError } from "../errors.ts";
import { asProvisionError, settleAll } from "./provision-steps.ts";
import type { Deployment, RuntimeContext } from "./runtime.ts";

/** What a runtime runs at each point of the flow. */
export interface DeploySteps {
  /** Install and build, or find or build images: one value per app, handed back to `startApp`. */
  build(): Promise<Record<string, string>>;
  startServices(names: string[]): Promise<void>;
  /** Once builds and services are done, before the first app starts. */
  beforeApps?(): Promise<void>;
  /** Starts the app, or on update restarts it (stopping the old one first). */
  startApp(app: string, built: Record<string, string>): Promise<void>;
}

export interface UpdateSteps extends DeploySteps {
  serviceRunning(name: string): Promise<boolean>;
  appRunning(app: string): Promise<boolean>;
  /** Stops the service or app and removes it from the deployment (and a service's data). */
  removeService(name: string): Promise<void>;
  removeApp(app: string): Promise<void>;
  /** Whether anything deciding a running app changed, so it must restart. */
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
    const built = await buildWhileServicesStart(ctx, steps, Object.keys(manifest.services));
    await steps.beforeApps?.();
    await startInOrder(manifest, ctx, new Set(Object.keys(manifest.apps)), (app) =>
      steps.startApp(app, built),
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
  try {
    const steps = await prepare();
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
    const built = await buildWhileServicesStart(ctx, steps, servicesToStart);
    const changed = new Set<string>();
    for (const app of Object.keys(manifest.apps)) {
      const running = await steps.appRunning(app);
      if (steps.inputsChanged(app, built) || !running) changed.add(app);
      else ctx.event({ step: "start", app, status: "skipped", message: steps.keptMessage });
    }
    await steps.beforeApps?.();
    await startInOrder(manifest, ctx, changed, (app) => steps.startApp(app, built));
  } catch (error) {
    const failure = reported(ctx, error);
    // A failed build leaves the previous app running; a failed start or health check does not.
    const stopped = failure.step === "start" || failure.step === "health";
    const app = failure.app === undefined ? undefined : deployment.apps[failure.app];
    if (stopped && app) app.status = "failed";
    await ctx.checkpoint(structuredClone(deployment)).catch(() => undefined);
    throw failure;
  }
}

/** Services start while install and builds run: neither needs the other. */
async function buildWhileServicesStart(
  ctx: RuntimeContext,
  steps: DeploySteps,
  services: string[],
): Promise<Record<string, string>> {
  const [built] = await settleAll<[Record<string, string>, void]>([
    steps.build(),
    ctx.phase("services", () => steps.startServices(services)),
  ]);
  return built;
}

/** Starts the named apps a dependency layer at a time; the apps of one layer start together. */
async function startInOrder(
  manifest: Manifest,
  ctx: RuntimeContext,
  apps: ReadonlySet<string>,
  start: (app: string) => Promise<void>,
): Promise<void> {
  for (const layer of startOrder(manifest)) {
    const starting = layer.filter((app) => apps.has(app));
    if (starting.length === 0) continue;
    await ctx.phase("start", () => settleAll(starting.map(start)));
  }
}

function reported(ctx: RuntimeContext, error: unknown): ProvisionError {
  const failure = asProvisionError(error, "start");
  ctx.event({ step: failure.step, app: failure.app, status: "failed", message: failure.message });
  return failure;
}
