/**
 * The process runtime's part of one provision or update (see deploy-flow.ts): install and builds,
 * Postgres processes, app processes on their ports, and stopping what is no longer wanted.
 */
import { appEnvironment } from "../../manifest/interpolate.ts";
import { appHashes } from "../app-input-hash.ts";
import { buildEnvironments } from "../build-values.ts";
import type { AppBuilds } from "../deploy-flow.ts";
import { settleAll, settled, step } from "../provision-steps.ts";
import type { Deployment, RuntimeContext, RuntimeEnvironment } from "../runtime.ts";
import { stopFront } from "../fronts/app-front.ts";
import { switchApp } from "./app-switchover.ts";
import { checkWorktreeReach, childIdentity, handOver } from "./child-identity.ts";
import { runBuild } from "./build-step.ts";
import { runRelease } from "./release-step.ts";
import type { EnvironmentPorts } from "./environment-ports.ts";
import { readInstallInputs, runInstall, type SharedInstalls } from "./install-step.ts";
import { interpolationValues } from "./interpolation-values.ts";
import type { OutputCapture } from "./output-capture.ts";
import { waitPortFree } from "./port-allocator.ts";
import { InstallGate } from "./install-gate.ts";
import { appHandle, serviceHandle, serviceStopTarget } from "./process-handles.ts";
import { stopGroups } from "./process-group.ts";
import { isOurs } from "./process-scan.ts";
import { startService } from "./start-service.ts";
import { untrackedEntries, type SharedOutputs } from "./shared-outputs.ts";
import { StepCache } from "./step-cache.ts";
import type { BuildSeeds } from "./build-seeds.ts";
import { removeTree } from "../../remove-tree.ts";

/**
 * What the process runtime holds in memory per environment: its log followers, the ports it
 * holds, and the stops of replaced processes nothing reaches any more (app-switchover.ts).
 */
export interface ProcessEnvironment {
  output: OutputCapture;
  ports: EnvironmentPorts;
  retiring: Set<Promise<void>>;
}

export interface ProcessStepsOptions {
  env: RuntimeEnvironment;
  ctx: RuntimeContext;
  state: ProcessEnvironment;
  /** Changed in place as things start and stop. */
  deployment: Deployment;
  owner: string;
  healthTimeoutMs: number;
  stopGraceMs: number;
  /** How long a replaced app process may finish its connections before it stops (app-switchover.ts). */
  drainMs: number;
  serviceTimeoutMs: number;
  /** Install and build outputs shared between environments; undefined: none. */
  shared?: SharedOutputs;
  /** Which shared builds may seed a build of nearby inputs (with `shared`); undefined: none. */
  seeds?: BuildSeeds;
  /** How installs are shared (install-step.ts); undefined: no shared stores. */
  installs?: SharedInstalls;
  /** Where initialised Postgres clusters are kept to be copied; undefined: initdb each time. */
  postgresTemplates?: string;
  /** An update: the worktree ran this environment's steps before, and its root is the runner's already. */
  updating?: boolean;
}

export class ProcessSteps {
  readonly #o: ProcessStepsOptions;
  readonly #installed = new InstallGate();
  /** Builds' offers of their outputs, made or held (see #hold). */
  readonly #offers: Promise<void>[] = [];
  /** Begins the held offer of an app's build. */
  readonly #held = new Map<string, () => void>();

  constructor(options: ProcessStepsOptions) {
    this.#o = options;
  }

  get ports(): EnvironmentPorts {
    return this.#o.state.ports;
  }

  /** Whether `pid` is still the process previewd started for this environment's `name`. */
  async isOurs(name: string, pid: number | undefined): Promise<boolean> {
    return pid !== undefined && (await isOurs(pid, this.#o.owner, this.#o.env.id, name));
  }

  /**
   * Install, then the hashes (after install, which may touch lockfiles); then each app's build, in
   * this worktree (so an app's build waits for those of the apps it depends on). Each app's build
   * gives its input hash, which its process records.
   */
  async prepareBuilds(): Promise<AppBuilds> {
    // `command` services wait for the install (they may import what it puts in place).
    return this.#installThenHash().catch((error: unknown) => {
      this.#installed.fail(error);
      throw error;
    });
  }

  async #installThenHash(): Promise<AppBuilds> {
    const { env, ctx, owner, state } = this.#o;
    // As root, what previewd checked out (add or redeploy) is handed to the user the steps run as.
    // A new worktree's, before git looks at it again: how root's git names a worktree depends on
    // who owns its root (worktree-git.ts), and a listing begun before the hand-over failed as
    // "dubious ownership". An update's root is the runner's before and after: git may list it
    // meanwhile, and only the install and builds wait. One whose checkout wrote as that very user
    // is still all theirs (env.checkedOutAs).
    const identity = env.inPlace
      ? undefined
      : await step("install", undefined, () => childIdentity(env, owner));
    const { uid, gid } = env.checkedOutAs ?? {};
    const stillTheirs = this.#o.updating && uid === identity?.uid && gid === identity?.gid;
    const handedOver = step("install", undefined, async () =>
      stillTheirs ? undefined : handOver([env.rootDir], identity),
    );
    handedOver.catch(() => undefined); // Awaited below; a failure is thrown there.
    // Whether its user can enter a new worktree is checked beside the hand-over, and counts only
    // for one (below): one that ran steps before was checked then.
    const reach = this.#o.updating
      ? undefined
      : settled(step("install", undefined, () => checkWorktreeReach(env.rootDir, identity, handedOver)));
    if (!this.#o.updating) await handedOver;
    const cache = new StepCache(env.dataDir);
    const environments = await step("build", undefined, async () => buildEnvironments(env));
    const canShare = this.#o.shared !== undefined || this.#o.installs?.stores !== undefined;
    const reads = readInstallInputs(env, this.#o.installs, canShare && !this.#o.updating && !env.inPlace);
    const hash = (trackedOnly?: () => Promise<readonly string[]>) =>
      step("build", undefined, () =>
        appHashes(env.rootDir, env.manifest, { buildEnvironments: environments, trackedOnly }),
      );
    // Hashed while the install is checked, copied or run: an install that left the files the
    // hashes read as they were (lockfiles unchanged in a redeploy; another environment's
    // `node_modules` copied into a fresh worktree) keeps these; one that ran hashes again. A
    // worktree checked out for this provision holds its tracked files alone until the install.
    const early = settled(hash(env.checkedOutNow ? reads.tracked : undefined));
    // Nothing untracked: no install or build ran in this worktree, whatever the cache remembers
    // of one that is gone (a retry after a failure checks out a new worktree). An update's ran;
    // one checked out for this provision holds nothing else, without asking git.
    const listed = this.#o.updating
      ? undefined
      : env.checkedOutNow
        ? Promise.resolve([])
        : untrackedEntries(env.rootDir).catch(() => ["?"]);
    const untouched = listed !== undefined && (await listed).length === 0;
    if (untouched) {
      (await reach!)();
      await cache.forget();
    }
    // Outputs are shared only from and into a fresh worktree: then each step's outputs are
    // exactly what it wrote, and nobody's runtime files.
    const fresh = this.#o.shared && !env.inPlace && untouched;
    const common = {
      env,
      ctx,
      owner,
      output: state.output,
      cache,
      ...(fresh && { shared: this.#o.shared, index: reads.tracked }),
    };
    await handedOver;
    const unchanged = await ctx.phase("install", () =>
      step("install", undefined, () => runInstall({ ...common, installs: this.#o.installs, reads })),
    );
    this.#installed.open();
    const hashes = unchanged ? (await early)() : await hash();
    return {
      sharedWorktree: true,
      settled: async () => {
        this.#beginAll();
        await Promise.all(this.#offers);
      },
      build: async (app, signal) => {
        // What another build or copy writes may be what an offer copies: those held begin first.
        this.#beginAll();
        const { build = "", input = "", family = "", files = new Map<string, string>() } = hashes[app] ?? {};
        const seeds = fresh && this.#o.seeds;
        const seeding = seeds ? { seeding: { seeds, family, files } } : {};
        await step("build", app, () =>
          runBuild({
            ...common,
            ...seeding,
            app,
            buildHash: build,
            variables: environments[app] ?? {},
            signal,
            background: (offer) => this.#hold(app, offer),
          }),
        );
        return input;
      },
    };
  }

  /**
   * A build offers its outputs to other environments while its app starts. The offer's copy
   * begins once the app's process is spawned, so that its processes (each fork a pause of
   * previewd's event loop) come after the app's on the way to `ready`: at once for an app without
   * `start`; as another build begins (it may write what the copy reads); at the latest when the
   * app's start ends or the schedule does.
   */
  #hold(app: string, offer: () => Promise<void>): void {
    if (!this.#o.env.manifest.apps[app]?.start) {
      this.#offers.push(offer());
      return;
    }
    this.#offers.push(new Promise<void>((begin) => this.#held.set(app, begin)).then(offer));
  }

  #begin(app: string): void {
    this.#held.get(app)?.();
    this.#held.delete(app);
  }

  #beginAll(): void {
    for (const app of [...this.#held.keys()]) this.#begin(app);
  }

  async startServices(names: string[]): Promise<void> {
    const { env, ctx, state, deployment } = this.#o;
    await settleAll(
      names.map((name) =>
        step("services", name, async () => {
          if (env.manifest.services[name]?.type === "command") await this.#installed.passed();
          // A changed `command` service still runs: it stops first, to come back on its port.
          const running = serviceStopTarget(deployment.services[name]);
          if (running && (await this.isOurs(name, running.pgid)))
            await stopGroups([running], this.#o.stopGraceMs);
          const previous = serviceHandle(deployment.services[name]);
          const reuse = previous && (await waitPortFree(previous.port, 3_000));
          const port = reuse ? previous.port : await state.ports.allocate();
          state.ports.reserve(port);
          const service = await startService({
            env,
            ctx,
            name,
            owner: this.#o.owner,
            port,
            previous: deployment.services[name],
            output: state.output,
            readyTimeoutMs: this.#o.serviceTimeoutMs,
            stopGraceMs: this.#o.stopGraceMs,
            ...(this.#o.postgresTemplates && { templatesDir: this.#o.postgresTemplates }),
          });
          if (!service) return;
          deployment.services[name] = service;
          await ctx.checkpoint(structuredClone(deployment));
        }),
      ),
    );
  }

  /**
   * Starts the app, or its new process beside the one serving (app-switchover.ts); `ports` holds
   * every app's front port.
   */
  async startApp(app: string, ports: Record<string, number>, inputHash: string): Promise<void> {
    try {
      await switchApp({
        ...this.#o,
        app,
        fronts: ports,
        inputHash,
        spawned: () => this.#begin(app),
      });
    } finally {
      this.#begin(app);
    }
  }

  /** The app's `release`, with the environment its process gets (on the ports `ports` gives). */
  async release(app: string, ports: Record<string, number>): Promise<void> {
    const { env, ctx, deployment, state, owner } = this.#o;
    await runRelease({
      env,
      ctx,
      app,
      owner,
      output: state.output,
      variables: appEnvironment(env.manifest, app, interpolationValues(env, deployment, ports, app)),
    });
  }

  /** Stops the app; with `remove`, also its front, gives back their ports and drops it from the deployment. */
  async stopApp(app: string, remove: boolean): Promise<void> {
    const { state, deployment, env, owner } = this.#o;
    const handle = appHandle(deployment.apps[app]);
    if (handle && (await this.isOurs(app, handle.pid))) {
      await stopGroups([{ pgid: handle.pgid, role: "app" }], this.#o.stopGraceMs);
    }
    if (!remove) return;
    await stopFront({ owner, envId: env.id, dataDir: env.dataDir, app }, handle?.front);
    state.ports.release(handle?.front?.port);
    state.ports.release(handle?.port);
    await state.output.stop(app);
    delete deployment.apps[app];
  }

  /** Stops the service, removes its data and drops it from the deployment. */
  async removeService(name: string): Promise<void> {
    const { state, deployment } = this.#o;
    const handle = serviceHandle(deployment.services[name]);
    const target = serviceStopTarget(deployment.services[name]);
    if (handle && target && (await this.isOurs(name, handle.pid))) {
      await stopGroups([target], this.#o.stopGraceMs);
    }
    state.ports.release(handle?.port);
    await state.output.stop(name);
    if (handle?.dataDir) await removeTree(handle.dataDir);
    delete deployment.services[name];
  }
}
