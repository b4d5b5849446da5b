/**
 * Loading a scenario into a running environment: reset every service (postgres to its snapshot,
 * redis emptied, `command` services restarted), run the steps, and on a failing step reset again,
 * so a load either completes or leaves the data as right after the environment's migrations.
 */
import type { ResolvedScenario } from "./load-scenario.ts";
import { hasSnapshot, resetToSnapshot, takeSnapshot } from "./postgres-snapshot.ts";
import { flushRedis } from "./redis-reset.ts";
import { ScenarioStepError } from "./scenario-errors.ts";
import { runSteps, type RunStepsOptions } from "./run-steps.ts";
import { SqlSessions } from "./sql-sessions.ts";
import type { SeedTarget } from "./seed-target.ts";

export interface SnapshotOptions {
  /** Only services without a snapshot. */
  onlyMissing?: boolean | undefined;
  /** Whether the snapshot `service` has stands as it is (one taken ahead); it is not retaken then. */
  standing?: ((service: string, url: string) => Promise<boolean>) | undefined;
}

/** Snapshot every postgres service (after migrations and the first healthy start). */
export async function snapshotServices(target: SeedTarget, options: SnapshotOptions = {}) {
  await Promise.all(
    target.postgresServices.map(async (service) => {
      const url = target.sqlUrl(service);
      if (options.onlyMissing && (await hasSnapshot(url))) return;
      if (await options.standing?.(service, url)) return;
      await takeSnapshot(url);
    }),
  );
}

export async function resetServices(
  target: SeedTarget,
  signal: AbortSignal = new AbortController().signal,
): Promise<void> {
  await Promise.all([
    ...target.postgresServices.map((service) => resetToSnapshot(target.sqlUrl(service))),
    ...target.redisServices.map((service) => flushRedis(service, target.redisUrl(service), signal)),
    ...target.commandServices.map((service) => target.restartService(service, signal)),
  ]);
}

export interface LoadOptions extends RunStepsOptions {
  /** The data is known to be at its snapshot already (the first load after provisioning). */
  fresh?: boolean;
  /** Called alongside the reset, done before the first step, e.g. to apply the scenario's flags. */
  beforeSteps?(): Promise<void>;
}

export async function loadScenario(
  scenario: ResolvedScenario,
  target: SeedTarget,
  options: LoadOptions,
): Promise<void> {
  // Given ones (opened ahead, snapshot-ahead.ts) are closed here too, as its own.
  const sessions = options.sessions ?? new SqlSessions();
  const reset = (options.fresh ? Promise.resolve() : resetServices(target, options.signal)).then(() => {
    // Connecting to the databases the steps use while the flags may still be being set.
    const services = new Set(scenario.steps.flatMap((step) => (step.kind === "sql" ? [step.service] : [])));
    for (const service of services) sessions.open(target.sqlUrl(service));
  });
  // The flags and the data are independent: neither waits for the other.
  const [resetDone, flagsSet] = await Promise.allSettled([reset, options.beforeSteps?.()]);
  if (resetDone.status === "rejected") throw resetDone.reason;
  try {
    if (flagsSet.status === "rejected") throw flagsSet.reason;
    await runSteps(scenario, target, { ...options, sessions });
  } catch (error) {
    await sessions.close();
    await resetServices(target, options.signal).catch((rollback: unknown) => {
      if (error instanceof ScenarioStepError) {
        error.step.output.push(`previewd could not reset the data afterwards: ${String(rollback)}`);
      }
    });
    throw error;
  }
  // Closed behind the answer: closing waits for each session's backend to exit.
  void sessions.close();
}
