/** `previewd ls [--json]`: the environments previewd runs. */
import { Command } from "commander";
import { formatEnvironmentTable } from "./environment-table.ts";
import { addServerOption, clientFor } from "./server-options.ts";

export function lsCommand(): Command {
  return addServerOption(new Command("ls"))
    .description("list environments")
    .option("--json", "print the environments as JSON")
    .action(async (options: { server?: string; json?: boolean }) => {
      const environments = await clientFor(options).listEnvironments();
      if (options.json) console.log(JSON.stringify(environments, null, 2));
      else if (environments.length === 0) console.error("no environments (create one with `previewd up`)");
      else for (const line of formatEnvironmentTable(environments)) console.log(line);
    });
}
