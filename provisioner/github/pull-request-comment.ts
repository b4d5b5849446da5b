/**
 * The one previewd comment on a pull request: found by its hidden marker and edited in place, or
 * created when there is none (never seen, or deleted by hand). Calls for one PR are serialized
 * in this process, so concurrent updates never create two comments.
 */
import { Mutex } from "async-mutex";
import type { GitHubClient } from "./github-client.ts";

export interface PullRequestTarget {
  owner: string;
  repo: string;
  number: number;
}

export interface PublishedComment {
  id: number;
  url: string;
  created: boolean;
}

/** `<!-- previewd:owner/name#12 -->`: names the PR so a comment copied elsewhere is never mistaken for ours. */
export function commentMarker(target: PullRequestTarget): string {
  return `<!-- previewd:${target.owner}/${target.repo}#${target.number} -->`;
}

export class PullRequestComments {
  readonly #locks = new Map<string, Mutex>();

  constructor(private readonly github: GitHubClient) {}

  /** `body` must contain the marker (the renderer puts it first). */
  async upsert(target: PullRequestTarget, body: string): Promise<PublishedComment> {
    const key = `${target.owner}/${target.repo}#${target.number}`.toLowerCase();
    let lock = this.#locks.get(key);
    if (!lock) this.#locks.set(key, (lock = new Mutex()));
    return lock.runExclusive(() => this.#upsert(target, body));
  }

  async #upsert(target: PullRequestTarget, body: string): Promise<PublishedComment> {
    const marker = commentMarker(target);
    const { owner, repo, number } = target;
    const comments = await this.github.paginate(this.github.rest.issues.listComments, {
      owner,
      repo,
      issue_number: number,
      per_page: 100,
    });
    const ours = comments.filter((comment) => comment.body?.includes(marker));
    const [first, ...extra] = ours;
    // Two previewd instances racing could each have created one; keep the oldest.
    for (const duplicate of extra) {
      await this.github.rest.issues.deleteComment({ owner, repo, comment_id: duplicate.id });
    }
    if (first) {
      if (first.body === body) return { id: first.id, url: first.html_url, created: false };
      const { data } = await this.github.rest.issues.updateComment({
        owner,
        repo,
        comment_id: first.id,
        body,
      });
      return { id: data.id, url: data.html_url, created: false };
    }
    const { data } = await this.github.rest.issues.createComment({ owner, repo, issue_number: number, body });
    return { id: data.id, url: data.html_url, created: true };
  }
}
