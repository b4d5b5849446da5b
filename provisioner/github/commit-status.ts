/** The `previewd` commit status on a PR's head commit: pending while working, then success or failure. */
import type { GitHubClient } from "./github-client.ts";
import type { PullRequestTarget } from "./pull-request-comment.ts";

export type CommitState = "pending" | "success" | "failure" | "error";

export const STATUS_CONTEXT = "previewd";

export interface CommitStatus {
  state: CommitState;
  description: string;
  targetUrl?: string;
}

export async function setCommitStatus(
  github: GitHubClient,
  target: Pick<PullRequestTarget, "owner" | "repo">,
  sha: string,
  status: CommitStatus,
): Promise<void> {
  await github.rest.repos.createCommitStatus({
    owner: target.owner,
    repo: target.repo,
    sha,
    state: status.state,
    context: STATUS_CONTEXT,
    // GitHub rejects descriptions over 140 characters.
    description:
      status.description.length > 140 ? `${status.description.slice(0, 139)}…` : status.description,
    ...(status.targetUrl && { target_url: status.targetUrl }),
  });
}
