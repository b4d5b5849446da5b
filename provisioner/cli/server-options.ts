/** Where the client commands find previewd: `--server`, else PREVIEWD_URL, else loopback on PREVIEWD_PORT. */
import type { Command } from "commander";
import { readTokenFile } from "../token-file.ts";
import { PreviewdClient } from "./client.ts";

export function addServerOption(command: Command): Command {
  return command.option(
    "--server <url>",
    "previewd's URL (default: $PREVIEWD_URL or http://127.0.0.1:$PREVIEWD_PORT)",
  );
}

export function serverUrl(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return option ?? (env.PREVIEWD_URL || `http://127.0.0.1:${env.PREVIEWD_PORT || 7070}`);
}

export function clientFor(
  options: { server?: string },
  env: NodeJS.ProcessEnv = process.env,
): PreviewdClient {
  return new PreviewdClient({
    baseUrl: serverUrl(options.server, env),
    // The same token file serve reads, when the token is kept out of environments.
    token:
      env.PREVIEWD_TOKEN || (env.PREVIEWD_TOKEN_FILE ? readTokenFile(env.PREVIEWD_TOKEN_FILE) : undefined),
  });
}
