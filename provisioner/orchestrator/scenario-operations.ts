/**
 * Seed scenarios in an environment's life: checking the one a create request asks for before
 * anything exists, snapshotting the data once provisioning has migrated it, loading a scenario
 * (first on create, then on request) and listing them. The format, the steps and the reset live
 * in `seed-scenarios/`; this file hands it what it needs from a running environment.
 */
import path from "node:path";
import { performance } from "node:perf_hooks";
import {
  listScenarioNames,
  resolveScenario,
  type ResolvedScenario,
} from "../../seed-scenarios/load-scenario.ts";
import { ScenarioStepError } from "../../seed-scenarios/scenario-errors.ts";
import { confinedFiles, directoryFiles, type ScenarioFiles } from "../../seed-scenarios/scenario-files.ts";
import { loadScenario, snapshotServices } from "../../seed-scenarios/scenario-loader.ts";
import type { SeedTarget } from "../../seed-scenarios/seed-target.ts";
import type { SqlSessions } from "../../seed-scenarios/sql-sessions.ts";
import type { EnvironmentView } from "../environments/environment-schema.ts";
import type { ScenarioSummary } from "../environments/scenario-api-schema.ts";
import { ConflictError, ManifestError, NotFoundError, ProvisionError, errorMessage } from "../errors.ts";
import type { Deployment, RuntimeContext } from "../runtimes/runtime.ts";
import type { RepoSources } from "../sources/repo-source.ts";
import type { EnvironmentOrchestrator } from "./create-orchestrator.ts";
import type { EnvironmentRecord } from "./environment-record.ts";
import type { ResolvedSource } from "./source-resolver.ts";
import { initialFlags } from "./source-resolver.ts";
import { operationContext } from "./operation-context.ts";
import { settled } from "../runtimes/provision-steps.ts";
import type { SnapshotsAhead } from "./snapshot-ahead.ts";
import { markSnapshotTaken, refreshStaleSnapshot } from "./snapshot-refresh.ts";

/** Scenario files of a source that is not checked out yet: its commit, or the caller's worktree. */
function sourceFiles(source: ResolvedSource, sources: RepoSources): ScenarioFiles {
  if (source.callerWorktree) return directoryFiles(path.join(source.callerWorktree, source.dir ?? ""));
  const prefix = source.dir ? `${source.dir}/` : "";
  // Links are followed in the commit's tree: the file read is the one a checkout would give.
  return confinedFiles(source.paths, {
    read: (file) => sources.readFile(source.repo, source.commit, `${prefix}${file}`),
  });
}

function worktreeFiles(record: EnvironmentRecord): ScenarioFiles {
  if (!record.worktreePath) throw new ConflictError(`environment ${record.id} has no worktree yet`);
  return directoryFiles(path.join(record.worktreePath, record.dir ?? ""));
}

/**
 * The scenario a create request asks for, else the manifest's `seed.default`, else none; checked
 * (it exists, it and what it extends are valid) so a bad one is the caller's 4xx and changes nothing.
 */
export async function requestedScenario(
  source: ResolvedSource,
  requested: string | undefined,
  sources: RepoSources,
): Promise<string | null> {
  const name = requested ?? source.manifest.seed.default;
  if (name === undefined) return null;
  try {
    await resolveScenario(name, source.manifest, sourceFiles(source, sources), { field: "scenario" });
  } catch (error) {
    if (requested === undefined && error instanceof NotFoundError) {
      throw new ManifestError("preview.yaml", [{ path: "seed.default", message: error.message }]);
    }
    throw error;
  }
  return name;
}

function seedTarget(record: EnvironmentRecord, orchestrator: EnvironmentOrchestrator): SeedTarget {
  // Read anew at each call: restarting a service gives the record a new deployment.
  const deployment = () => {
    if (!record.deployment) throw new ConflictError(`environment ${record.id} is not running`);
    return record.deployment;
  };
  const services = record.manifest.services;
  const ofType = (type: string) =>
    Object.keys(services).filter((name) => services[name]?.type === type && deployment().services[name]);
  const serviceUrl = (service: string) => {
    const url = deployment().services[service]?.url;
    if (!url) throw new ConflictError(`service ${service} of ${record.id} is not running`);
    return url;
  };
  return {
    postgresServices: ofType("postgres"),
    redisServices: ofType("redis"),
    commandServices: ofType("command"),
    sqlUrl: serviceUrl,
    redisUrl: serviceUrl,
    async restartService(service, signal) {
      const runtime = orchestrator.runtime(record.runtime);
      const ctx = operationContext(record, orchestrator, signal);
      const env = orchestrator.runtimeEnvironment(record);
      const restarted = await runtime.restartService(env, deployment(), service, ctx);
      // Only this service's entry: others may be restarting at the same time.
      const started = restarted.services[service];
      if (started) deployment().services[service] = started;
      await orchestrator.persist();
    },
    appUrl(app) {
      const url = deployment().apps[app]?.directUrl;
      if (!url) throw new ConflictError(`app ${app} of ${record.id} is not running`);
      return url;
    },
    exec(app, command, env, signal) {
      const runtime = orchestrator.runtime(record.runtime);
      const environment = orchestrator.runtimeEnvironment(record);
      return runtime.exec(environment, deployment(), app, command, { env, signal });
    },
  };
}

/**
 * Resets the data (unless `fresh`: right after provisioning) and the flags, runs the steps; records
 * what was loaded. On a switch every flag goes back to its default before the scenario's values, so
 * a scenario gives the same flags too; right after provisioning the create request's values stay.
 */
async function loadInto(
  record: EnvironmentRecord,
  scenario: ResolvedScenario,
  orchestrator: EnvironmentOrchestrator,
  options: { signal: AbortSignal; fresh: boolean; sessions?: SqlSessions | undefined },
): Promise<void> {
  record.seed = null;
  const target = () => seedTarget(record, orchestrator);
  const dataFresh =
    options.fresh || (await refreshStaleSnapshot(record, orchestrator, target, options.signal));
  await loadScenario(scenario, target(), {
    signal: options.signal,
    fresh: dataFresh,
    ...(options.sessions && { sessions: options.sessions }),
    async beforeSteps() {
      const values = options.fresh ? scenario.flags : initialFlags(record.manifest, scenario.flags);
      if (Object.keys(values).length === 0) return;
      await orchestrator.setFlags(record.id, values, `scenario ${scenario.name}`);
    },
    onStep(step) {
      orchestrator.emit(record.id, {
        step: "seed",
        ...(step.kind !== "sql" && { app: step.target }),
        status: step.status,
        message: `${scenario.name}: ${step.message}`,
      });
    },
  });
  record.scenario = scenario.name;
  record.seed = { scenario: scenario.name, checksum: scenario.checksum, loadedAt: new Date().toISOString() };
}

/**
 * Right after the runtime provisioned (migrations ran, every app is healthy): snapshot each
 * postgres service (or keep the snapshot taken `ahead`, if nothing wrote to it since), then load
 * the environment's scenario. Failures are ProvisionErrors of step `seed`.
 */
export async function seedAfterProvision(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  ctx: RuntimeContext,
  ahead?: SnapshotsAhead,
): Promise<void> {
  record.seed = null;
  delete record.snapshotInputs;
  await ctx.phase("seed", async () => {
    try {
      const target = seedTarget(record, orchestrator);
      if (!(await usesScenarios(record))) return;
      // Its files are read while the databases are snapshotted (nothing changes the worktree);
      // a broken one fails the seed once the snapshot is taken, as before.
      const resolved =
        record.scenario === null
          ? undefined
          : settled(resolveScenario(record.scenario, record.manifest, worktreeFiles(record)));
      if (target.postgresServices.length > 0) {
        ctx.event({ step: "seed", status: "started", message: "snapshotting the migrated databases" });
        await snapshotServices(target, { standing: ahead && ((service, url) => ahead.stands(service, url)) });
      }
      markSnapshotTaken(record);
      if (!resolved) {
        ctx.event({ step: "seed", status: "skipped", message: "no scenario asked for and no seed.default" });
        return;
      }
      const scenario = (await resolved)();
      const sessions = ahead?.sessions;
      await loadInto(record, scenario, orchestrator, { signal: ctx.signal, fresh: true, sessions });
      ctx.event({ step: "seed", status: "succeeded", message: `loaded scenario ${scenario.name}` });
    } catch (error) {
      if (error instanceof ScenarioStepError) {
        const app = error.step.kind === "sql" ? undefined : error.step.target;
        throw new ProvisionError(error.message, "seed", app, error.step.output, { cause: error });
      }
      throw new ProvisionError(`seed: ${errorMessage(error)}`, "seed", undefined, [], { cause: error });
    }
  });
}

/**
 * Snapshotting cuts off the apps' database sessions, so only environments with scenarios get one:
 * a monorepo without any keeps its connections untouched.
 */
export async function usesScenarios(record: EnvironmentRecord): Promise<boolean> {
  if (record.scenario !== null) return true;
  return (await listScenarioNames(record.manifest, worktreeFiles(record))).length > 0;
}

/**
 * After an update: a service that came up new has no snapshot yet; take it. Existing ones stay. A
 * service recorded as it was in `before` (the deployment the update started from: the same
 * process or container, at the same URL) is not even asked, which took a connection to its
 * Postgres on every redeploy.
 */
export async function snapshotNewServices(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  before?: Deployment,
): Promise<void> {
  const services = record.deployment?.services ?? {};
  const same = (name: string) => JSON.stringify(services[name]) === JSON.stringify(before?.services[name]);
  const fresh = Object.keys(services).filter((name) => !same(name));
  if (fresh.length === 0 || !(await usesScenarios(record))) return;
  const target = seedTarget(record, orchestrator);
  const postgresServices = target.postgresServices.filter((name) => fresh.includes(name));
  await snapshotServices({ ...target, postgresServices }, { onlyMissing: true });
}

/** `POST …/scenario`: alone on the environment's queue, reset then load; answers when done. */
export async function loadScenarioNow(
  orchestrator: EnvironmentOrchestrator,
  id: string,
  name: string,
): Promise<EnvironmentView> {
  const before = orchestrator.record(id);
  // Read once more in the queue only if something ran in between (an update moves the worktree on).
  const stamp = (r: EnvironmentRecord) => [r.worktreePath, r.commit, r.updatedAt, r.manifest];
  const seen = stamp(before);
  // Answer an unknown name at once rather than after whatever is queued.
  const early = before.worktreePath
    ? await resolveScenario(name, before.manifest, worktreeFiles(before), { field: "name" })
    : undefined;
  return orchestrator.exclusive(id, async (signal) => {
    const record = orchestrator.record(id);
    if (record.status !== "ready" || !record.deployment) {
      throw new ConflictError(
        `environment ${id} is ${record.status}; scenarios load into a ready environment`,
      );
    }
    const scenario =
      early && stamp(record).every((value, i) => value === seen[i])
        ? early
        : await resolveScenario(name, record.manifest, worktreeFiles(record), { field: "name" });
    orchestrator.resetEvents(id);
    const started = performance.now();
    try {
      await loadInto(record, scenario, orchestrator, { signal, fresh: false });
    } catch (error) {
      // The loader put the data back to its reset state: no scenario is loaded now.
      record.scenario = null;
      record.seed = null;
      throw error;
    } finally {
      record.timings.seed = Math.round(performance.now() - started);
      orchestrator.setStatus(record, record.status);
      await orchestrator.persist();
    }
    return orchestrator.get(id);
  });
}

export async function listScenarios(
  orchestrator: EnvironmentOrchestrator,
  id: string,
): Promise<ScenarioSummary[]> {
  const record = orchestrator.record(id);
  const files = worktreeFiles(record);
  const names = await listScenarioNames(record.manifest, files);
  return Promise.all(
    names.map(async (name): Promise<ScenarioSummary> => {
      try {
        const scenario = await resolveScenario(name, record.manifest, files);
        return {
          name,
          description: scenario.description,
          extends: scenario.extends,
          steps: scenario.steps.length,
          checksum: scenario.checksum,
          error: null,
        };
      } catch (error) {
        return { name, description: "", extends: null, steps: 0, checksum: null, error: errorMessage(error) };
      }
    }),
  );
}
