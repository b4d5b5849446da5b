/**
 * The three things that happen to an environment: provision, update, delete. Each runs alone
 * (the orchestrator queues them per environment), reports progress, and on failure leaves
 * nothing behind but a `failed` record that says why (a failed update: also the apps that served
 * before it, still serving).
 */
import { performance } from "node:perf_hooks";
import type { Deployment, RuntimeContext } from "../runtimes/runtime.ts";
import type { EnvironmentOrchestrator, OrchestratorDeps } from "./create-orchestrator.ts";
import { environmentError } from "./environment-error.ts";
import type { EnvironmentRecord } from "./environment-record.ts";
import type { ResolvedSource } from "./source-resolver.ts";
import { seedAfterProvision, snapshotNewServices, usesScenarios } from "./scenario-operations.ts";
import { SnapshotsAhead } from "./snapshot-ahead.ts";
import { PhaseClock } from "./timing-phases.ts";

export interface OperationDeps {
  kind: "provision" | "update" | "delete";
  record: EnvironmentRecord;
  source: ResolvedSource | undefined;
  signal: AbortSignal;
  orchestrator: EnvironmentOrchestrator;
  deps: OrchestratorDeps;
}

export async function runOperation(op: OperationDeps): Promise<void> {
  if (op.kind === "delete") return remove(op);
  const { record, orchestrator } = op;
  const started = performance.now();
  orchestrator.resetEvents(record.id);
  record.timings = {};
  record.error = null;
  if (op.source) adoptSource(record, op.source);
  orchestrator.setStatus(record, op.kind === "update" && record.deployment ? "updating" : "provisioning");
  const ctx = runtimeContext(op);
  // Whether the record as it ends is on disk already: then the last save below is not needed.
  let saved = false;
  try {
    await orchestrator.persist();
    if (record.status === "updating") await update(op, ctx);
    else await provision(op, ctx);
    record.timings.total = Math.round(performance.now() - started);
    orchestrator.emit(record.id, {
      step: "ready",
      status: "succeeded",
      message: `ready in ${record.timings.total} ms`,
    });
    await orchestrator.setStatusDurably(record, "ready");
    saved = true;
  } catch (error) {
    record.timings.total = Math.round(performance.now() - started);
    record.error = environmentError(error);
    if (op.signal.aborted) return; // A delete interrupted us; it cleans up.
    op.deps.logger.warn(
      { env: record.id, step: record.error.step, app: record.error.app },
      record.error.message,
    );
    orchestrator.emit(record.id, {
      step: record.error.step,
      ...(record.error.app && { app: record.error.app }),
      status: "failed",
      message: record.error.message,
    });
    // A failed update leaves the apps that served before serving (runtimes start new instances
    // beside them): the environment shows the failure and stays reachable; the next redeploy
    // updates it. A failed provision leaves nothing.
    if (record.status !== "updating" || !record.deployment)
      await teardown(op).catch((cleanup: unknown) =>
        op.deps.logger.error({ env: record.id, err: cleanup }, "cleanup after a failure failed"),
      );
    saved = await orchestrator.setStatusDurably(record, "failed").then(
      () => true,
      (unsaved: unknown) => {
        // Failed all the same; a restart finds it provisioning on disk and marks it failed too.
        op.deps.logger.error({ env: record.id, err: unsaved }, "could not save the failed status");
        orchestrator.setStatus(record, "failed");
        return false;
      },
    );
  } finally {
    op.deps.runtimes[record.runtime]?.operationEnded?.();
    if (!saved) {
      await orchestrator
        .persist()
        .catch((error: unknown) =>
          op.deps.logger.error({ env: record.id, err: error }, "could not save state"),
        );
    }
  }
}

async function provision(op: OperationDeps, ctx: RuntimeContext): Promise<void> {
  const { record, orchestrator } = op;
  // A retry after a failure starts from nothing.
  if (record.deployment || (record.worktreePath && !record.callerWorktree)) await teardown(op);
  await orchestrator.prepareDataDir(record.id);
  const runtime = orchestrator.runtime(record.runtime);
  let checkoutIndex: Promise<string[]> | undefined;
  if (!record.callerWorktree) {
    record.worktreePath = await ctx.phase("worktree", async () => {
      ctx.event({
        step: "worktree",
        status: "started",
        message: `checking out ${record.ref} at ${record.commit.slice(0, 12)}`,
      });
      const worktrees = op.deps.worktrees;
      if (runtime.readsTrackedFiles) {
        // Listed beside the checkout rather than after it.
        checkoutIndex = worktrees.trackedAt(record.source, record.commit, record.dir);
        checkoutIndex.catch(() => undefined); // Listed from the worktree then.
      }
      const created = await worktrees.add(
        record.source,
        worktrees.worktreeName(record.key, record.ref),
        record.commit,
      );
      ctx.event({ step: "worktree", status: "succeeded", message: created });
      return created;
    });
    await orchestrator.persist();
  }
  op.signal.throwIfAborted();
  const environment = orchestrator.runtimeEnvironment(record);
  const ahead = new SnapshotsAhead({
    manifest: record.manifest,
    deployment: () => record.deployment,
    wanted: () => usesScenarios(record),
    report: (message) => ctx.event({ step: "seed", status: "info", message }),
  });
  try {
    try {
      record.deployment = await runtime.provision(
        record.callerWorktree
          ? environment
          : { ...environment, checkedOutNow: true, ...(checkoutIndex && { checkoutIndex }) },
        ahead.watch(ctx),
      );
    } finally {
      // Nothing is left asking a database that a failure has taken away.
      await ahead.settled();
    }
    await seedAfterProvision(record, orchestrator, ctx, ahead);
  } finally {
    void ahead.sessions.close(); // Those opened ahead that the seed did not take (and close).
  }
}

async function update(op: OperationDeps, ctx: RuntimeContext): Promise<void> {
  const { record, orchestrator } = op;
  const environment = orchestrator.runtimeEnvironment(record);
  const worktreePath = record.callerWorktree ? undefined : record.worktreePath || undefined;
  // Who wrote the commit's files (as root, the user the worktree was handed to): a runtime whose
  // steps run as that user need not hand the worktree over again.
  const checkedOutAs =
    worktreePath === undefined
      ? undefined
      : await ctx.phase("worktree", async () => {
          const handedOver = environment.rootDir;
          const writer = await op.deps.worktrees.checkout(worktreePath, record.commit, { handedOver });
          ctx.event({
            step: "worktree",
            status: "succeeded",
            message: `moved to ${record.commit.slice(0, 12)}`,
          });
          return writer;
        });
  const runtime = orchestrator.runtime(record.runtime);
  const before = record.deployment!;
  record.deployment = await runtime.update(
    { ...environment, ...(checkedOutAs && { checkedOutAs }) },
    before,
    ctx,
  );
  // Redeploy keeps the data and does not re-seed; only a service that came up new needs a snapshot.
  await snapshotNewServices(record, orchestrator, before).catch((error: unknown) =>
    op.deps.logger.warn({ env: record.id, err: error }, "snapshot of new services failed"),
  );
}

async function remove(op: OperationDeps): Promise<void> {
  const { record, orchestrator, deps } = op;
  orchestrator.emit(record.id, { step: "delete", status: "started", message: "stopping everything" });
  try {
    await teardown(op);
    await orchestrator.forget(record.id);
    deps.logger.info({ env: record.id }, "environment deleted");
  } catch (error) {
    record.error = environmentError(error, "delete");
    orchestrator.setStatus(record, "failed");
    await orchestrator
      .persist()
      .catch((unsaved: unknown) =>
        deps.logger.error({ env: record.id, err: unsaved }, "could not save state"),
      );
  }
}

/** Stop what the runtime started and remove previewd's worktree; the record stays. */
export async function teardown(op: Pick<OperationDeps, "record" | "orchestrator" | "deps">): Promise<void> {
  const { record, orchestrator, deps } = op;
  await orchestrator.runtime(record.runtime).destroy(record.id, orchestrator.dataDir(record.id));
  record.deployment = undefined;
  if (record.worktreePath && !record.callerWorktree) {
    await deps.worktrees.remove(record.source, record.worktreePath);
    record.worktreePath = null;
  }
}

function adoptSource(record: EnvironmentRecord, source: ResolvedSource): void {
  record.source = source.repo;
  record.commit = source.commit;
  record.manifest = source.manifest;
}

function runtimeContext(op: OperationDeps): RuntimeContext {
  const { record, orchestrator } = op;
  const clock = new PhaseClock(() => record.timings);
  return {
    signal: op.signal,
    logs: op.deps.logs,
    event: (event) => orchestrator.emit(record.id, event),
    phase: (name, work) => clock.measure(name, work),
    async checkpoint(deployment: Deployment) {
      record.deployment = deployment;
      await orchestrator.persist();
    },
  };
}
