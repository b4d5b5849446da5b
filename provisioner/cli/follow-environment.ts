/**
 * Shows an environment's progress until what was asked of it (a create's provision or update)
 * has finished: events stream from /events while the server is asked, in slices, to answer once
 * the environment has settled (`GET …?wait=true`), so a missed or dropped stream cannot hang the
 * CLI, and an environment that still shows its last `ready` or `failed` is not taken as done.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { EnvironmentView } from "../environments/environment-schema.ts";
import type { PreviewdClient } from "./client.ts";
import { ProgressPrinter } from "./progress-printer.ts";

export async function followEnvironment(
  client: PreviewdClient,
  id: string,
  write: (line: string) => void,
  options: { pollMs?: number; sliceSeconds?: number } = {},
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
      // In slices: Node's fetch gives up on a response's headers after 300 s.
      const environment = await client.getEnvironment(id, {
        wait: true,
        timeout: options.sliceSeconds ?? 240,
      });
      if (environment.status !== "provisioning" && environment.status !== "updating") {
        await sleep(150); // let the last events of the stream arrive before stopping it
        return environment;
      }
      // Only a server too old to wait answers at once: then poll.
      await sleep(options.pollMs ?? 500);
    }
  } finally {
    controller.abort();
    await streaming;
  }
}
