/**
 * Wires the GitHub integration from its settings: the webhook receiver (with a secret), the
 * reporter that posts comments and statuses (with a token), and the per-PR work queue.
 */
import path from "node:path";
import type { FlagValue } from "../environments/environment-schema.ts";
import type { Logger } from "../logger.ts";
import type { ShareLinks } from "../proxy/share-links.ts";
import { DeliveryLog } from "./delivery-log.ts";
import { createGitHubClient } from "./github-client.ts";
import type { GitHubConfig } from "./github-config.ts";
import { KeyedQueue } from "./keyed-queue.ts";
import { PreviewReporter } from "./preview-reporter.ts";
import { PullRequestComments } from "./pull-request-comment.ts";
import { PullRequestHandler, type PullRequestOrchestrator } from "./pull-request-handler.ts";
import { PullRequestState } from "./pull-request-state.ts";
import { PullRequestCommenter } from "./pull-request-commenter.ts";
import { noScreenshots, type ScreenshotTaker } from "./screenshot-taker.ts";
import { WebhookReceiver } from "./webhook-receiver.ts";

export interface GitHubIntegrationDeps {
  config: GitHubConfig;
  orchestrator: PullRequestOrchestrator;
  dataDir: string;
  logger: Logger;
  /** previewd's own URL, used for links when PREVIEWD_PUBLIC_URL is not set. */
  ownUrl: () => string;
  screenshots?: ScreenshotTaker;
  flagDefaults?: (envId: string) => Record<string, FlagValue> | undefined;
  /** Share links to protected previews for the comments. */
  shareLinks?: ShareLinks;
}

export interface GitHubIntegration {
  /** Undefined without GITHUB_WEBHOOK_SECRET: the webhook answers 503. */
  receiver?: WebhookReceiver;
  /** Undefined without GITHUB_TOKEN: the comment API answers 503. */
  commenter?: PullRequestCommenter;
  /** Resolves once every queued PR event has been handled (tests). */
  idle(): Promise<void>;
  /** Drops queued events and ends running ones' waits; resolves once they have stopped. */
  close(): Promise<void>;
}

export async function createGitHubIntegration(deps: GitHubIntegrationDeps): Promise<GitHubIntegration> {
  const { config } = deps;
  const logger = deps.logger.child({ component: "github" });
  const publicUrl = () => config.publicUrl ?? deps.ownUrl();
  const github = config.token
    ? createGitHubClient({ apiUrl: config.apiUrl, token: config.token, logger })
    : undefined;
  const reporter = github
    ? new PreviewReporter({
        github,
        comments: new PullRequestComments(github),
        screenshots: deps.screenshots ?? noScreenshots,
        publicUrl,
        ...(deps.flagDefaults && { flagDefaults: deps.flagDefaults }),
        ...(deps.shareLinks && { shareLinks: deps.shareLinks }),
        logger,
      })
    : undefined;
  const shutdown = new AbortController();
  const queue = new KeyedQueue((pr, error) => logger.error({ pr, err: error }, "pull request event failed"));

  let receiver: WebhookReceiver | undefined;
  if (config.webhookSecret) {
    const dir = path.join(deps.dataDir, "github");
    const handler = new PullRequestHandler({
      orchestrator: deps.orchestrator,
      state: await PullRequestState.open(path.join(dir, "pull-requests.json")),
      ...(reporter && { reporter }),
      config,
      logger,
      signal: shutdown.signal,
    });
    receiver = new WebhookReceiver({
      secret: config.webhookSecret,
      deliveries: await DeliveryLog.open(path.join(dir, "deliveries.log")),
      queue,
      handler,
      repos: config.repos,
      logger,
    });
    if (!reporter)
      logger.warn("GITHUB_TOKEN is not set: PR previews run, but no comments or statuses are posted");
    if (config.repos.size === 0)
      logger.warn("PREVIEWD_GITHUB_REPOS is empty: every webhook event is ignored");
  }
  return {
    ...(receiver && { receiver }),
    ...(reporter && { commenter: new PullRequestCommenter(deps.orchestrator, reporter) }),
    idle: () => queue.idle(),
    async close() {
      queue.close();
      shutdown.abort();
      await queue.idle();
    },
  };
}
