/**
 * Does what one `pull_request` event asks, through the orchestrator: deploy the PR's head
 * (create or update its one environment), delete it when the PR closes or is skipped, and keep
 * the PR's comment and commit status current. Runs inside the PR's queue, one event at a time.
 */
import type { EnvironmentError, EnvironmentView } from "../environments/environment-schema.ts";
import { errorMessage, isPreviewdError, NotFoundError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import { expectsWork, settle } from "./environment-settle.ts";
import type { GitHubConfig } from "./github-config.ts";
import type { PullRequestTarget } from "./pull-request-comment.ts";
import { planFor, pullRequestKey, type PullRequestEvent } from "./pull-request-event.ts";
import type { PullRequestState } from "./pull-request-state.ts";
import type { PreviewReporter, Report } from "./preview-reporter.ts";

export type PullRequestOrchestrator = Pick<
  Orchestrator,
  "create" | "get" | "patch" | "delete" | "waitFor" | "waitForDeletion"
>;

export interface HandlerDeps {
  orchestrator: PullRequestOrchestrator;
  state: PullRequestState;
  /** Absent without GITHUB_TOKEN: environments still follow PRs, nothing is posted. */
  reporter?: PreviewReporter;
  config: Pick<GitHubConfig, "ttl" | "drafts" | "forks" | "waitMs">;
  logger: Logger;
  /** Aborted when previewd shuts down: nothing new is created, waits end. */
  signal?: AbortSignal;
}

const DELETE_TIMEOUT_MS = 5 * 60_000;

export class PullRequestHandler {
  constructor(private readonly deps: HandlerDeps) {}

  async handle(event: PullRequestEvent, source: string): Promise<void> {
    const [owner = "", repo = ""] = event.repository.full_name.split("/");
    const target: PullRequestTarget = { owner, repo, number: event.number };
    const key = pullRequestKey(event.repository.full_name, event.number);
    const memory = this.deps.state.get(key);
    const plan = planFor(event, memory, this.deps.config);
    const log = this.deps.logger.child({ pr: key, action: event.action, plan: plan.kind });
    const sha = event.pull_request.head.sha;

    if (plan.kind === "ignore") return log.info({ reason: plan.reason }, "pull request event ignored");
    if (plan.kind === "close" || plan.kind === "skip") {
      if (plan.kind === "close") await this.deps.state.update(key, { closed: true });
      const previous = memory?.envId ? await this.#remove(memory.envId) : undefined;
      await this.deps.state.update(key, { envId: undefined });
      log.info(
        { env: memory?.envId },
        plan.kind === "close" ? "pull request closed" : "pull request skipped",
      );
      // Only a PR that had a preview hears about its removal; skipped drafts get no comment.
      if (memory?.envId) {
        const reason = plan.kind === "close" ? "The pull request was closed." : `Skipped: ${plan.reason}.`;
        await this.#report(target, {
          phase: plan.kind === "close" ? "deleted" : "skipped",
          sha,
          reason,
          ...(previous && { environment: previous }),
        });
      }
      return;
    }

    if (this.deps.signal?.aborted) return log.info("previewd is shutting down; event dropped");
    if (memory?.closed) await this.deps.state.update(key, { closed: false });
    const ttl = plan.keep ? null : this.deps.config.ttl;
    let result;
    try {
      result = await this.deps.orchestrator.create({ repo: source, ref: plan.ref, ttl });
    } catch (error) {
      log.warn({ err: error }, "could not create the PR's environment");
      await this.#report(target, { phase: "failed", sha, error: failure(error) });
      return;
    }
    const envId = result.environment.id;
    // Watch from now on, so the queued work cannot start and end unseen while we post.
    const settling = settle(this.deps.orchestrator, result, sha, this.deps.config.waitMs, this.deps.signal);
    await this.deps.state.update(key, { envId });
    if (!result.created) await this.deps.orchestrator.patch(envId, { ttl });
    if (expectsWork(result, sha)) {
      await this.#report(target, { phase: "building", sha, environment: this.deps.orchestrator.get(envId) });
    }
    const view = await settling;
    if (this.deps.signal?.aborted) return;
    log.info({ env: envId, status: view.status, commit: view.commit }, "pull request preview settled");
    await this.#report(target, {
      phase: view.status === "ready" || view.status === "degraded" ? "ready" : "failed",
      sha,
      environment: view,
    });
  }

  /** Delete the environment and wait until it is gone; returns its last view, if it existed. */
  async #remove(envId: string): Promise<EnvironmentView | undefined> {
    try {
      const view = await this.deps.orchestrator.delete(envId);
      await this.deps.orchestrator.waitForDeletion(envId, DELETE_TIMEOUT_MS);
      return view;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  /** A GitHub outage must not stop previews: failures to post are logged, not thrown. */
  async #report(target: PullRequestTarget, report: Report): Promise<void> {
    await this.deps.reporter
      ?.report(target, report)
      .catch((error: unknown) =>
        this.deps.logger.error(
          { pr: `${target.owner}/${target.repo}#${target.number}`, phase: report.phase, err: error },
          "could not update the pull request on GitHub",
        ),
      );
  }
}

function failure(error: unknown): EnvironmentError {
  return { step: isPreviewdError(error) ? error.type : "create", message: errorMessage(error), logTail: [] };
}
