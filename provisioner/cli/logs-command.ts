/** `previewd logs <env> [-f] [--app A] [--stream S] [--grep G] [--since S] [--tail N] [--json]`. */
import { Command, InvalidArgumentError } from "commander";
import type { LogEntry } from "../logs/log-store.ts";
import { formatLogLine, useColour } from "./log-format.ts";
import type { LogQueryParams } from "./log-stream.ts";
import { addServerOption, clientFor } from "./server-options.ts";

interface LogsOptions {
  server?: string;
  follow?: boolean;
  app: string[];
  stream: string[];
  grep?: string;
  since?: string;
  until?: string;
  tail?: number;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",")];

export function logsCommand(): Command {
  return addServerOption(new Command("logs"))
    .description("print an environment's logs (apps, services, previewd, browser); -f follows")
    .argument("<env>", "environment id")
    .option("-f, --follow", "keep printing new lines (reconnects, resuming where it stopped)")
    .option("--app <app>", "only this app or service (repeatable, or a comma list)", collect, [])
    .option("--stream <stream>", "stdout, stderr, system or browser (repeatable)", collect, [])
    .option("--grep <text>", "lines containing this text, or matching /regex/flags (RE2 syntax)")
    .option("--since <time>", 'from an RFC 3339 time or a duration back ("5m")')
    .option("--until <time>", 'up to an RFC 3339 time or a duration back ("5m")')
    .option("-n, --tail <lines>", "the last N lines (default 200)", tailOption)
    .option("--json", "print NDJSON lines as the API sends them")
    .action(async (id: string, options: LogsOptions) => {
      const client = clientFor(options);
      const query: LogQueryParams = {
        ...(options.app.length && { app: options.app }),
        ...(options.stream.length && { stream: options.stream }),
        ...(options.grep !== undefined && { grep: options.grep }),
        ...(options.since !== undefined && { since: options.since }),
        ...(options.until !== undefined && { until: options.until }),
        ...(options.tail !== undefined && { tail: options.tail }),
      };
      const colour = !options.json && useColour(process.stdout);
      const print = (entry: LogEntry) => {
        const { ts, app, stream, line } = entry;
        console.log(
          options.json ? JSON.stringify({ ts, app, stream, line }) : formatLogLine(entry, { colour }),
        );
      };
      if (!options.follow) {
        for (const entry of await client.logs(id, query)) print(entry);
        return;
      }
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort());
      let lastEventId: number | undefined;
      // The server ends a follow after its maximum duration; pick up again after the last line seen.
      while (!controller.signal.aborted) {
        try {
          for await (const entry of client.followLogs(id, query, {
            signal: controller.signal,
            ...(lastEventId !== undefined && { lastEventId }),
          })) {
            if (entry.id !== undefined) lastEventId = entry.id;
            print(entry);
          }
        } catch (error) {
          if (controller.signal.aborted) return;
          throw error;
        }
      }
    });
}

function tailOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a whole number of lines");
  return n;
}
