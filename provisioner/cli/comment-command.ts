/**
 * `previewd comment <env> --pr N [--repo owner/name]`: post (or edit) the pull request's previewd
 * comment and commit status, for CI jobs that run previewd without webhooks. In GitHub Actions
 * the repository and PR number default to GITHUB_REPOSITORY and GITHUB_REF (refs/pull/N/merge).
 */
import { Command, InvalidArgumentError } from "commander";
import { addServerOption, clientFor } from "./server-options.ts";

export function commentCommand(env: NodeJS.ProcessEnv = process.env): Command {
  return addServerOption(new Command("comment"))
    .description("post or update the environment's comment on a GitHub pull request")
    .argument("<env>", "environment id")
    .option("--pr <number>", "pull request number (default: from $GITHUB_REF)", parsePr)
    .option("--repo <owner/name>", "repository (default: $GITHUB_REPOSITORY)")
    .action(async (id: string, options: { server?: string; pr?: number; repo?: string }) => {
      const repo = options.repo ?? env.GITHUB_REPOSITORY;
      const pr = options.pr ?? prFromRef(env.GITHUB_REF);
      if (!repo) throw new InvalidArgumentError("--repo owner/name is required (or set GITHUB_REPOSITORY)");
      if (pr === undefined)
        throw new InvalidArgumentError("--pr <number> is required (or run on a pull_request event)");
      const result = await clientFor(options, env).postGitHubComment(id, { repo, pr });
      console.log(
        `${result.comment.created ? "commented on" : "updated the comment on"} ${repo}#${pr}: ${result.comment.url}`,
      );
      if (result.status) console.log(`commit status: ${result.status.state} (${result.status.description})`);
    });
}

function parsePr(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError("expected a pull request number");
  return Number(value);
}

function prFromRef(ref: string | undefined): number | undefined {
  const match = /^refs\/pull\/(\d+)\/(merge|head)$/.exec(ref ?? "");
  return match ? Number(match[1]) : undefined;
}
