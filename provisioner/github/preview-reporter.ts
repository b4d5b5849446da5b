/**
 * Tells a pull request about its preview: renders the comment (with screenshots of the apps
 * that serve HTML), edits it in place, and sets the `previewd` commit status.
 */
import type { EnvironmentError, EnvironmentView, FlagValue } from "../environments/environment-schema.ts";
import type { Logger } from "../logger.ts";
import type { ShareLinks } from "../proxy/share-links.ts";
import { type CommitStatus, setCommitStatus } from "./commit-status.ts";
import { type CommentPhase, renderComment } from "./comment-renderer.ts";
import type { GitHubClient } from "./github-client.ts";
import {
  commentMarker,
  type PublishedComment,
  type PullRequestComments,
  type PullRequestTarget,
} from "./pull-request-comment.ts";
import type { ScreenshotTaker } from "./screenshot-taker.ts";
import { servesHtml } from "./web-app-probe.ts";

export interface ReporterDeps {
  github: GitHubClient;
  comments: PullRequestComments;
  screenshots: ScreenshotTaker;
  /** Base of links to previewd itself (environment documents). */
  publicUrl: () => string;
  /** The manifest's flag defaults of an environment, when known. */
  flagDefaults?: (envId: string) => Record<string, FlagValue> | undefined;
  /** Does this app serve a page worth a screenshot? Default: its root answers HTML. */
  isWebApp?: (directUrl: string) => Promise<boolean>;
  /** With a token set, the comment and status link apps through share links (protected previews). */
  shareLinks?: ShareLinks;
  logger: Logger;
}

export interface Report {
  phase: CommentPhase;
  /** The head commit the report is about (the commit status goes on it). */
  sha: string;
  environment?: EnvironmentView;
  reason?: string;
  error?: EnvironmentError;
}

export interface ReportResult {
  comment: PublishedComment;
  status?: CommitStatus;
}

export class PreviewReporter {
  readonly #lastStatus = new Map<string, string>();

  constructor(private readonly deps: ReporterDeps) {}

  async report(target: PullRequestTarget, report: Report): Promise<ReportResult> {
    const env = report.environment;
    const webApps = env && report.phase === "ready" ? await this.#webApps(env) : [];
    const screenshots = env ? await this.#screenshots(env.id, webApps) : {};
    const environmentUrl = env ? this.environmentUrl(env.id) : undefined;
    const flagDefaults = env ? this.deps.flagDefaults?.(env.id) : undefined;
    const shared = env ? this.#shareLinks(env) : undefined;
    const body = renderComment({
      marker: commentMarker(target),
      phase: report.phase,
      sha: report.sha,
      screenshots,
      ...(shared && { appLinks: shared.links, appLinksExpireAt: shared.expiresAt }),
      ...(env && { environment: env }),
      ...(environmentUrl && { environmentUrl }),
      ...(flagDefaults && { flagDefaults }),
      ...(report.reason && { reason: report.reason }),
      ...(report.error && { error: report.error }),
    });
    const firstWebApp = webApps[0] ? (shared?.links[webApps[0]] ?? env?.apps[webApps[0]]?.url) : undefined;
    const status = this.#status(report, firstWebApp ?? environmentUrl);
    // The status first: it is what CI and branch protection read.
    if (status) await this.#setStatus(target, report.sha, status);
    const comment = await this.deps.comments.upsert(target, body);
    return { comment, ...(status && { status }) };
  }

  environmentUrl(envId: string): string {
    return `${this.deps.publicUrl().replace(/\/+$/, "")}/v1/environments/${encodeURIComponent(envId)}`;
  }

  /** Share links to each app, when previews are protected; rendered afresh with every comment edit. */
  #shareLinks(env: EnvironmentView): { links: Record<string, string>; expiresAt: string } | undefined {
    const shares = this.deps.shareLinks;
    if (!shares?.protected) return undefined;
    let expiresAt = "";
    const links = Object.fromEntries(
      Object.entries(env.apps).map(([name, app]) => {
        const link = shares.link(env, app.url);
        expiresAt = link.expiresAt ?? expiresAt;
        return [name, link.url];
      }),
    );
    return expiresAt ? { links, expiresAt } : undefined;
  }

  /** Skips a status identical to the last one set on the commit (writes are rate-limited). */
  async #setStatus(target: PullRequestTarget, sha: string, status: CommitStatus): Promise<void> {
    const key = `${target.owner}/${target.repo}@${sha}`.toLowerCase();
    const text = JSON.stringify(status);
    if (this.#lastStatus.get(key) === text) return;
    await setCommitStatus(this.deps.github, target, sha, status);
    this.#lastStatus.delete(key);
    this.#lastStatus.set(key, text);
    if (this.#lastStatus.size > 1_000) this.#lastStatus.delete(this.#lastStatus.keys().next().value!);
  }

  #status(report: Report, targetUrl: string | undefined): CommitStatus | undefined {
    const url = targetUrl ? { targetUrl } : {};
    const error = report.environment?.error ?? report.error;
    switch (report.phase) {
      case "building":
        return { state: "pending", description: "Building the preview", ...url };
      case "ready":
        return { state: "success", description: "Preview ready", ...url };
      case "failed":
        return {
          state: "failure",
          description: error
            ? `Failed at ${error.step}${error.app ? ` (${error.app})` : ""}: ${error.message.split("\n")[0]}`
            : "Preview failed",
          ...url,
        };
      default:
        return undefined;
    }
  }

  async #webApps(env: EnvironmentView): Promise<string[]> {
    const isWebApp = this.deps.isWebApp ?? servesHtml;
    const checks = await Promise.all(
      Object.entries(env.apps).map(async ([name, app]) =>
        app.status === "healthy" && app.directUrl && (await isWebApp(app.directUrl)) ? name : undefined,
      ),
    );
    return checks.filter((name): name is string => name !== undefined);
  }

  async #screenshots(envId: string, apps: string[]): Promise<Record<string, string>> {
    const shots = await Promise.all(
      apps.map(async (app) => {
        const shot = await this.deps.screenshots.takeScreenshot(envId, app).catch((error: unknown) => {
          this.deps.logger.warn({ env: envId, app, err: error }, "screenshot for the PR comment failed");
          return undefined;
        });
        return shot ? ([app, shot.url] as const) : undefined;
      }),
    );
    return Object.fromEntries(shots.filter((shot) => shot !== undefined));
  }
}
