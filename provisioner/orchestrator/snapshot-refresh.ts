/**
 * Keeping the snapshot a scenario load resets to in step with the apps' migrations. Apps migrate
 * when they start, so once a redeploy restarted an app with new inputs (new code, maybe new
 * migrations) the snapshot taken before may hold an older schema. Redeploy leaves the live data
 * alone; the next load resets to the old snapshot, restarts the changed apps so their migrations
 * run on that clean data, and snapshots again, so a scenario always starts from the current schema.
 */
import { resetServices, snapshotServices } from "../../seed-scenarios/scenario-loader.ts";
import type { SeedTarget } from "../../seed-scenarios/seed-target.ts";
import type { EnvironmentOrchestrator } from "./create-orchestrator.ts";
import type { EnvironmentRecord } from "./environment-record.ts";
import { operationContext } from "./operation-context.ts";

/** Remember which inputs the apps had when the snapshot was taken. */
export function markSnapshotTaken(record: EnvironmentRecord): void {
  const apps = Object.entries(record.deployment?.apps ?? {});
  record.snapshotInputs = Object.fromEntries(apps.map(([app, deployed]) => [app, deployed.inputHash]));
}

/** Apps running with other inputs than when the snapshot was taken (every app if that is unknown). */
export function appsChangedSinceSnapshot(record: EnvironmentRecord): string[] {
  const taken = record.snapshotInputs;
  return Object.entries(record.deployment?.apps ?? {})
    .filter(([app, deployed]) => taken?.[app] !== deployed.inputHash)
    .map(([app]) => app);
}

/**
 * Before a load: if an app changed since the snapshot, reset to it, restart those apps (they
 * migrate) and snapshot again. Resolves true when it did, the data then being at the new snapshot.
 * `target` is called anew after the restart, which may move an app.
 */
export async function refreshStaleSnapshot(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  target: () => SeedTarget,
  signal: AbortSignal,
): Promise<boolean> {
  const changed = appsChangedSinceSnapshot(record);
  if (changed.length === 0 || target().postgresServices.length === 0) return false;
  orchestrator.emit(record.id, {
    step: "seed",
    status: "started",
    message: `refreshing the snapshot: ${changed.join(", ")} changed since it was taken`,
  });
  await resetServices(target(), signal);
  await restartApps(record, orchestrator, changed, signal);
  await snapshotServices(target());
  markSnapshotTaken(record);
  await orchestrator.persist();
  orchestrator.emit(record.id, {
    step: "seed",
    status: "succeeded",
    message: `snapshot refreshed after ${changed.join(", ")} migrated`,
  });
  return true;
}

async function restartApps(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  apps: string[],
  signal: AbortSignal,
): Promise<void> {
  const current = structuredClone(record.deployment!);
  // A runtime restarts an app whose recorded input hash is not its own (DeployedApp.inputHash);
  // builds and images are cached, so this is a restart, not a rebuild.
  for (const app of apps) {
    const deployed = current.apps[app];
    if (deployed) deployed.inputHash = "";
  }
  const ctx = operationContext(record, orchestrator, signal);
  const runtime = orchestrator.runtime(record.runtime);
  record.deployment = await runtime.update(orchestrator.runtimeEnvironment(record), current, ctx);
  await orchestrator.persist();
}
