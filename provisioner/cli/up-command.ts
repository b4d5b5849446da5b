/**
 * `previewd up [dir]`: create (or find) the environment for a directory and wait until it runs.
 * Without --ref the working tree runs as it is; with --ref previewd checks that ref out itself.
 * Progress goes to stderr, app URLs to stdout, so `previewd up | …` gets just the URLs.
 */
import { Command } from "commander";
import type { CreateEnvironmentRequest, RuntimeName } from "../environments/environment-schema.ts";
import { followEnvironment } from "./follow-environment.ts";
import { locateWorktree } from "./git-toplevel.ts";
import { formatAppUrls, formatFailure } from "./progress-printer.ts";
import { addServerOption, clientFor } from "./server-options.ts";

interface UpOptions {
  server?: string;
  ref?: string;
  scenario?: string;
  runtime?: string;
  ttl?: string;
  wait: boolean;
}

export function upCommand(): Command {
  return addServerOption(new Command("up"))
    .description("start (or update) the environment for a directory of a git repository and print its URLs")
    .argument("[dir]", "the monorepo root or a directory inside the repository", ".")
    .option("--ref <ref>", "run this branch, tag or commit instead of the working tree as it is")
    .option("--scenario <name>", "seed scenario to load")
    .option("--runtime <runtime>", "process, docker or kubernetes")
    .option("--ttl <ttl>", 'time to live: seconds or "30m", "2h", "7d"')
    .option("--no-wait", "return once the environment is requested")
    .action(async (dir: string, options: UpOptions) => {
      const client = clientFor(options);
      const { environment, created } = await client.createEnvironment(await buildRequest(dir, options));
      console.error(
        `${created ? "creating" : "using"} environment ${environment.id} (${environment.status})`,
      );
      if (!options.wait) {
        console.log(environment.id);
        return;
      }
      const final = await followEnvironment(client, environment.id, (line) => console.error(line));
      if (final.status === "failed") {
        for (const line of formatFailure(final)) console.error(line);
        process.exitCode = 1;
        return;
      }
      console.error(`ready: ${final.id}`);
      for (const line of formatAppUrls(final)) console.log(line);
    });
}

export async function buildRequest(
  dir: string,
  options: Omit<UpOptions, "wait" | "server">,
): Promise<CreateEnvironmentRequest> {
  const worktree = await locateWorktree(dir);
  const request: CreateEnvironmentRequest = { repo: worktree.toplevel };
  if (options.ref) request.ref = options.ref;
  else request.worktree = worktree.toplevel;
  if (worktree.dir !== ".") request.dir = worktree.dir;
  if (options.scenario) request.scenario = options.scenario;
  // The server validates the runtime name and reports a wrong one as a field error.
  if (options.runtime) request.runtime = options.runtime as RuntimeName;
  if (options.ttl) request.ttl = /^\d+$/.test(options.ttl) ? Number(options.ttl) : options.ttl;
  return request;
}
