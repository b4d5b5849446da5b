/**
 * Waits for the outcome of a `create` on behalf of a PR. A create that reuses an environment
 * queues its update, so the environment can still look `ready` (with the old commit) when
 * create returns: this waits for the queued work to start and finish, not just for `ready`.
 * Call it right after `create` so it cannot miss the work starting.
 */
import type { CreateResult, Orchestrator } from "../orchestrator/orchestrator.ts";
import type { EnvironmentStatus, EnvironmentView } from "../environments/environment-schema.ts";

const busy: EnvironmentStatus[] = ["provisioning", "updating"];
// `degraded` is provisioned and running (an app crashed since and is being restarted): settled.
const settled: EnvironmentStatus[] = ["ready", "degraded", "failed", "deleting"];
/** If the expected work never shows up (the branch moved back), stop waiting after this. */
const NOTHING_HAPPENS_MS = 10_000;

/** Will the orchestrator provision or update after this create? (New, failed before, or a new commit.) */
export function expectsWork(result: CreateResult, sha: string): boolean {
  return result.created || result.environment.status === "failed" || result.environment.commit !== sha;
}

export async function settle(
  orchestrator: Pick<Orchestrator, "get" | "waitFor">,
  result: CreateResult,
  sha: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<EnvironmentView> {
  const before = result.environment;
  const deadline = Date.now() + timeoutMs;
  const expectsNewCommit = !result.created && before.commit !== sha;
  let sawWork = !expectsWork(result, sha);
  let quietSince = Date.now();
  for (;;) {
    const view = orchestrator.get(before.id);
    const remaining = deadline - Date.now();
    if (remaining <= 0 || signal?.aborted) return view;
    if (busy.includes(view.status)) {
      sawWork = true;
      // In slices, so a shutdown (signal) is noticed within seconds.
      await orchestrator.waitFor(before.id, settled, Math.min(remaining, 5_000));
      quietSince = Date.now();
      continue;
    }
    // A new commit in place proves the update ran, even if it ran between two looks.
    if (expectsNewCommit && view.commit !== before.commit) return view;
    if ((sawWork && !expectsNewCommit) || view.status === "deleting") return view;
    if (Date.now() - quietSince > NOTHING_HAPPENS_MS) return view;
    // waitFor is event-driven: it cannot miss the switch to provisioning/updating.
    await orchestrator.waitFor(before.id, [...busy, "deleting"], Math.min(remaining, 1_000));
  }
}
