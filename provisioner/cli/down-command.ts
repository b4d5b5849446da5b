/** `previewd down <env> [--no-wait]`: stop an environment and remove its worktree and data. */
import { Command } from "commander";
import { addServerOption, clientFor } from "./server-options.ts";

export function downCommand(): Command {
  return addServerOption(new Command("down"))
    .description("delete an environment")
    .argument("<env>", "environment id")
    .option("--no-wait", "return once deletion has started")
    .action(async (id: string, options: { server?: string; wait: boolean }) => {
      const client = clientFor(options);
      if (options.wait) console.error(`deleting ${id}…`);
      await client.deleteEnvironment(id, { wait: options.wait, ...(options.wait ? { timeout: 3600 } : {}) });
      console.log(options.wait ? `deleted ${id}` : `deleting ${id}`);
    });
}
