/**
 * The order of one provision or update. `concurrent` (the default): services start and the
 * install runs at once; builds run side by side, as many as there are cores, each after the
 * builds of the apps it depends on where builds share a worktree; each app starts as soon as its
 * own build, the services it uses and the apps it depends on are ready (its `release` first).
 * `sequential` is the old way, kept to measure against: one build at a time, every build and
 * service before any app, then the apps a dependency layer at a time.
 * The first failure calls off what has not begun and aborts the builds under way; it is rethrown
 * once everything begun has ended, so nothing is still starting during cleanup.
 */
import { availableParallelism } from "node:os";
import { Semaphore } from "async-mutex";
import { startOrder } from "../manifest/dependency-graph.ts";
import { parseTemplate } from "../manifest/interpolate.ts";
import type { Manifest } from "../manifest/manifest-schema.ts";
import type { RuntimeContext } from "./runtime.ts";

export const pipelineModes = ["concurrent", "sequential"] as const;
export type PipelineMode = (typeof pipelineModes)[number];

export interface PipelineOptions {
  /** Default `concurrent`. */
  mode?: PipelineMode;
  /** How many builds run at once in `concurrent` mode; default os.availableParallelism(). */
  buildConcurrency?: number;
}

/** The builds of one provision or update, once what they all need (the install) is done. */
export interface AppBuilds {
  /**
   * Builds the app or finds it built, entering the `build` phase only to build; resolves with
   * what its release and start get. `signal` aborts when the provision or update fails elsewhere.
   */
  build(app: string, signal: AbortSignal): Promise<string>;
  /** The builds share one worktree: an app's build waits for those of the apps it depends on. */
  sharedWorktree: boolean;
  /**
   * What the builds still do after each resolved (offering their outputs to other environments):
   * the schedule ends once it is done, but no app waits for it to start.
   */
  settled?(): Promise<void>;
}

/** What an app does once it is built and the services it uses are up. */
export interface AppPlan {
  start: boolean;
  /** Run its `release` before it starts. */
  release: boolean;
}

export interface ScheduledSteps {
  prepareBuilds(): Promise<AppBuilds>;
  startService(name: string): Promise<void>;
  /** `built` holds what every build finished so far gave, this app's included. */
  plan(app: string, built: Record<string, string>): Promise<AppPlan>;
  /** Once, before the first app's release or start. */
  beforeApps(): Promise<void>;
  release(app: string, built: Record<string, string>): Promise<void>;
  startApp(app: string, built: Record<string, string>): Promise<void>;
}

/** A prerequisite failed: this task never began. Never reported; the failure that caused it is. */
class CalledOff extends Error {}

/** The first failure of a schedule, and the signal that tells the builds under way to stop. */
class FirstFailure {
  readonly #abort = new AbortController();
  readonly signal: AbortSignal;
  #first: { error: unknown } | undefined;

  constructor(outer: AbortSignal) {
    this.signal = AbortSignal.any([outer, this.#abort.signal]);
  }

  /** Runs `work` unless something failed already; records its failure if it is the first. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      this.throwIfFailed();
      return await work();
    } catch (error) {
      if (!(error instanceof CalledOff) && !this.#first) {
        this.#first = { error };
        this.#abort.abort(error);
      }
      throw error;
    }
  }

  throwIfFailed(): void {
    if (this.#first) throw new CalledOff("called off after an earlier failure");
  }

  rethrow(): void {
    if (this.#first) throw this.#first.error;
  }
}

export async function runSchedule(
  manifest: Manifest,
  ctx: RuntimeContext,
  services: readonly string[],
  steps: ScheduledSteps,
  options: PipelineOptions = {},
): Promise<void> {
  const sequential = options.mode === "sequential";
  const layers = startOrder(manifest);
  const failure = new FirstFailure(ctx.signal);
  const tasks: Promise<unknown>[] = [];
  const task = <T>(work: () => Promise<T>): Promise<T> => {
    const running = failure.run(work);
    running.catch(() => undefined); // Awaited below, with every other task.
    tasks.push(running);
    return running;
  };

  const serviceUp = new Map<string, Promise<void>>();
  for (const name of services) {
    serviceUp.set(
      name,
      task(() => ctx.phase("services", () => steps.startService(name))),
    );
  }

  const prepared = task(() => steps.prepareBuilds());
  const slots = new Semaphore(
    sequential ? 1 : Math.max(1, options.buildConcurrency ?? availableParallelism()),
  );
  const built = new Map<string, Promise<string>>();
  const values: Record<string, string> = {};
  let previous: Promise<unknown> = prepared;
  for (const app of layers.flat()) {
    const after = previous;
    const building = task(async () => {
      const builds = await prepared;
      if (sequential) await after;
      else if (builds.sharedWorktree)
        await Promise.all(appsBefore(manifest, app).map((dep) => built.get(dep)));
      const value = await slots.runExclusive(() => {
        failure.throwIfFailed();
        return builds.build(app, failure.signal);
      });
      values[app] = value;
      return value;
    });
    built.set(app, building);
    previous = building;
  }

  const everything = [...built.values(), ...serviceUp.values()];
  let beforeApps: Promise<void> | undefined;
  const ready = new Map<string, Promise<void>>();
  layers.forEach((layer, depth) => {
    for (const app of layer) {
      const started = task(async () => {
        const own = [built.get(app), ...servicesUsedBy(manifest, app).map((name) => serviceUp.get(name))];
        await Promise.all(sequential ? everything : own);
        const plan = await steps.plan(app, values);
        if (!plan.start) return;
        const first = sequential ? layers.slice(0, depth).flat() : appsBefore(manifest, app);
        await Promise.all(first.map((dep) => ready.get(dep)));
        failure.throwIfFailed();
        await (beforeApps ??= steps.beforeApps());
        if (plan.release) {
          failure.throwIfFailed();
          await ctx.phase("release", () => steps.release(app, values));
        }
        failure.throwIfFailed();
        await ctx.phase("start", () => steps.startApp(app, values));
      });
      ready.set(app, started);
    }
  });

  await Promise.allSettled(tasks);
  await (await prepared.catch(() => undefined))?.settled?.();
  failure.rethrow();
}

/** The apps in `app`'s depends_on. */
function appsBefore(manifest: Manifest, app: string): string[] {
  return (manifest.apps[app]?.depends_on ?? []).filter((dep) => Object.hasOwn(manifest.apps, dep));
}

/**
 * The services in `app`'s depends_on, and those its env names (their URLs are part of it); with
 * `build`, also those its build_env names.
 */
export function servicesUsedBy(manifest: Manifest, app: string, options: { build?: boolean } = {}): string[] {
  const spec = manifest.apps[app];
  if (!spec) return [];
  const used = new Set(spec.depends_on.filter((dep) => Object.hasOwn(manifest.services, dep)));
  const named = [...Object.values(spec.env), ...(options.build ? Object.values(spec.build_env ?? {}) : [])];
  for (const template of named) {
    const parsed = parseTemplate(template);
    if ("error" in parsed) continue;
    for (const part of parsed.parts) {
      const [scope, name] = "ref" in part ? part.ref.split(".") : [];
      if (scope === "services" && name && Object.hasOwn(manifest.services, name)) used.add(name);
    }
  }
  return [...used];
}
