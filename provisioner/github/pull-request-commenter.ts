/**
 * The webhook-free path (`POST /v1/environments/:id/github/comment`, `previewd comment`): post
 * the PR comment and commit status for an environment as it is now, so a CI job can drive the
 * same flow.
 */
import type { EnvironmentStatus } from "../environments/environment-schema.ts";
import { errorMessage } from "../errors.ts";
import type { Orchestrator } from "../orchestrator/orchestrator.ts";
import type { CommentPhase } from "./comment-renderer.ts";
import { GitHubApiError } from "./github-errors.ts";
import type { PreviewReporter, ReportResult } from "./preview-reporter.ts";

const phases: Record<EnvironmentStatus, CommentPhase> = {
  provisioning: "building",
  updating: "building",
  ready: "ready",
  // Its previews exist and previewd is restarting what crashed; the comment shows each app's status.
  degraded: "ready",
  failed: "failed",
  deleting: "deleted",
};

export class PullRequestCommenter {
  constructor(
    private readonly orchestrator: Pick<Orchestrator, "get">,
    private readonly reporter: PreviewReporter,
  ) {}

  /** `repo` is `owner/name`. Throws NotFoundError (environment) or GitHubApiError. */
  async comment(envId: string, repo: string, pr: number): Promise<ReportResult> {
    const environment = this.orchestrator.get(envId);
    const [owner = "", name = ""] = repo.split("/");
    try {
      return await this.reporter.report(
        { owner, repo: name, number: pr },
        { phase: phases[environment.status], sha: environment.commit, environment },
      );
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      throw new GitHubApiError(
        `GitHub refused the comment on ${repo}#${pr}${typeof status === "number" ? ` (HTTP ${status})` : ""}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }
}
