/**
 * The part of a `pull_request` webhook payload previewd reads, and what to do about one event.
 * Deciding is pure, so every rule (labels, drafts, forks, closed PRs) is unit-tested.
 */
import { z } from "zod";
import type { PullRequestMemory } from "./pull-request-state.ts";

const repoSchema = z.object({ full_name: z.string().regex(/^[^/\s]+\/[^/\s]+$/) });

export const pullRequestEventSchema = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  pull_request: z.object({
    draft: z.boolean().optional(),
    html_url: z.string().optional(),
    head: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/), ref: z.string(), repo: repoSchema.nullish() }),
    labels: z.array(z.object({ name: z.string() })).default([]),
  }),
  label: z.object({ name: z.string() }).optional(),
  repository: repoSchema,
});
export type PullRequestEvent = z.infer<typeof pullRequestEventSchema>;

export const SKIP_LABEL = "preview:skip";
export const KEEP_LABEL = "preview:keep";

export type Plan =
  | { kind: "deploy"; ref: string; sha: string; keep: boolean }
  | { kind: "close" }
  | { kind: "skip"; reason: string }
  | { kind: "ignore"; reason: string };

export interface PlanOptions {
  drafts: boolean;
  forks: boolean;
}

const deployActions = new Set([
  "opened",
  "reopened",
  "synchronize",
  "ready_for_review",
  "converted_to_draft",
  "labeled",
  "unlabeled",
  "edited",
]);

export function planFor(
  event: PullRequestEvent,
  memory: PullRequestMemory | undefined,
  options: PlanOptions,
): Plan {
  const { action, pull_request: pr } = event;
  if (action === "closed") return { kind: "close" };
  if (memory?.closed && action !== "reopened")
    return { kind: "ignore", reason: "the pull request is closed" };
  if (!deployActions.has(action)) return { kind: "ignore", reason: `action ${action} changes nothing` };
  // Only a base-branch change makes `edited` matter, and the head is what we preview: ignore it.
  if (action === "edited") return { kind: "ignore", reason: "edits do not change the preview" };
  const labelled = action === "labeled" || action === "unlabeled";
  if (labelled && event.label && ![SKIP_LABEL, KEEP_LABEL].includes(event.label.name)) {
    return { kind: "ignore", reason: `label ${event.label.name} does not concern previews` };
  }
  const labels = new Set(pr.labels.map((label) => label.name));
  if (labels.has(SKIP_LABEL)) return { kind: "skip", reason: `labelled \`${SKIP_LABEL}\`` };
  if (pr.draft && !options.drafts) return { kind: "skip", reason: "draft pull request" };
  const fork = isFork(event);
  if (fork && !options.forks) return { kind: "skip", reason: "pull request from a fork" };
  return {
    kind: "deploy",
    ref: fork ? `refs/pull/${event.number}/head` : pr.head.ref,
    sha: pr.head.sha,
    keep: labels.has(KEEP_LABEL),
  };
}

/** A fork's branch is not in the configured source; GitHub clones carry it as refs/pull/N/head. */
function isFork(event: PullRequestEvent): boolean {
  const head = event.pull_request.head.repo;
  // GitHub sends `repo: null` when the fork was deleted: its branch is only in refs/pull/N/head.
  if (head === null) return true;
  return head !== undefined && head.full_name.toLowerCase() !== event.repository.full_name.toLowerCase();
}

/** The queue and state key of a pull request: `owner/name#number`, lower-cased like GitHub's names. */
export function pullRequestKey(repo: string, number: number): string {
  return `${repo.toLowerCase()}#${number}`;
}
