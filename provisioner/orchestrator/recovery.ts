/**
 * After a restart (a crash included), previewd takes back what it had started: a ready
 * environment whose processes still live is adopted; anything interrupted half-way is torn
 * down and marked failed; anything labelled as ours that no record claims is removed.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { errorMessage } from "../errors.ts";
import type { RuntimeName } from "../environments/environment-schema.ts";
import type { RuntimeContext } from "../runtimes/runtime.ts";
import type { EnvironmentOrchestrator, OrchestratorDeps } from "./create-orchestrator.ts";
import type { EnvironmentRecord } from "./environment-record.ts";
import { cappedError } from "./environment-error.ts";
import { teardown } from "./environment-operations.ts";
import { removeTree } from "../remove-tree.ts";

export interface RecoveryReport {
  adopted: string[];
  failed: string[];
  deleted: string[];
  orphans: string[];
}

export async function recover(
  orchestrator: EnvironmentOrchestrator,
  deps: OrchestratorDeps,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { adopted: [], failed: [], deleted: [], orphans: [] };
  const records = await orchestrator.load();
  for (const record of records) {
    try {
      await recoverOne(record, orchestrator, deps, report);
    } catch (error) {
      deps.logger.error({ env: record.id, err: error }, "recovery failed");
      await markFailed(
        record,
        orchestrator,
        deps,
        "recover",
        `previewd could not recover this environment: ${errorMessage(error)}`,
      );
      report.failed.push(record.id);
    }
  }
  const keep = new Set(orchestrator.list().map((e) => e.id));
  for (const runtime of Object.values(deps.runtimes)) {
    report.orphans.push(...(await runtime.reconcile(keep)));
  }
  await removeOrphanDirs(path.join(deps.dataDir, "environments"), keep, report);
  const worktrees = new Set(records.map((r) => r.worktreePath).filter(Boolean));
  for (const worktree of await deps.worktrees.list()) {
    if (!worktrees.has(worktree)) {
      await removeTree(worktree);
      report.orphans.push(worktree);
    }
  }
  await orchestrator.persist();
  deps.logger.info(report, "recovered state");
  return report;
}

async function recoverOne(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  deps: OrchestratorDeps,
  report: RecoveryReport,
): Promise<void> {
  if (record.status === "deleting") {
    await teardown({ record, orchestrator, deps });
    await orchestrator.forget(record.id);
    report.deleted.push(record.id);
    return;
  }
  // A degraded environment was ready and had something down: adopted, its watch restarts that.
  if ((record.status === "ready" || record.status === "degraded") && record.deployment) {
    const runtime = orchestrator.runtime(record.runtime as RuntimeName);
    const adopted = await runtime.adopt(
      orchestrator.runtimeEnvironment(record),
      record.deployment,
      recoveryContext(record, orchestrator, deps),
    );
    if (adopted) {
      record.deployment = adopted;
      orchestrator.supervise(record);
      report.adopted.push(record.id);
      return;
    }
    await markFailed(
      record,
      orchestrator,
      deps,
      "adopt",
      "previewd restarted and found this environment's processes gone",
    );
    report.failed.push(record.id);
    return;
  }
  if (record.status === "provisioning" || record.status === "updating") {
    await markFailed(
      record,
      orchestrator,
      deps,
      record.status,
      `previewd restarted while ${record.status}; nothing was kept`,
    );
    report.failed.push(record.id);
    return;
  }
  // A failed environment holds nothing; make sure of it.
  if (record.deployment || (record.worktreePath && !record.callerWorktree))
    await teardown({ record, orchestrator, deps });
}

async function markFailed(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  deps: OrchestratorDeps,
  step: string,
  message: string,
): Promise<void> {
  await teardown({ record, orchestrator, deps }).catch((error: unknown) =>
    deps.logger.error({ env: record.id, err: error }, "teardown during recovery failed"),
  );
  record.error = cappedError({ step, message, logTail: [] });
  orchestrator.setStatus(record, "failed");
  orchestrator.emit(record.id, { step, status: "failed", message });
}

function recoveryContext(
  record: EnvironmentRecord,
  orchestrator: EnvironmentOrchestrator,
  deps: OrchestratorDeps,
): RuntimeContext {
  return {
    signal: new AbortController().signal,
    logs: deps.logs,
    event: (event) => orchestrator.emit(record.id, event),
    phase: (_name, work) => work(),
    async checkpoint(deployment) {
      record.deployment = deployment;
    },
  };
}

async function removeOrphanDirs(
  dir: string,
  keep: ReadonlySet<string>,
  report: RecoveryReport,
): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    if (keep.has(entry)) continue;
    await removeTree(path.join(dir, entry));
    report.orphans.push(entry);
  }
}
