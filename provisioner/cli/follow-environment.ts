/**
 * Shows an environment's progress until it is `ready` or `failed`: events stream from /events
 * while the environment itself is polled, so a missed or dropped stream cannot hang the CLI.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { EnvironmentView } from "../environments/environment-schema.ts";
import type { PreviewdClient } from "./client.ts";
import { ProgressPrinter } from "./progress-printer.ts";

export async function followEnvironment(
  client: PreviewdClient,
  id: string,
  write: (line: string) => void,
  options: { pollMs?: number } = {},
): Promise<EnvironmentView> {
  const printer = new ProgressPrinter(write);
  const controller = new AbortController();
  const streaming = (async () => {
    try {
      for await (const event of client.events(id, { signal: controller.signal })) printer.event(event);
    } catch (error) {
      if (!controller.signal.aborted) write(`  (progress stream ended: ${(error as Error).message})`);
    }
  })();
  try {
    for (;;) {
      const environment = await client.getEnvironment(id);
      if (environment.status === "ready" || environment.status === "failed") {
        await sleep(150); // let the last events of the stream arrive before stopping it
        return environment;
      }
      await sleep(options.pollMs ?? 500);
    }
  } finally {
    controller.abort();
    await streaming;
  }
}
