/** `previewd flags <env> [key=value…] [--json]`: print the flags, or set some (no restart needed). */
import { Command } from "commander";
import { formatFlags, parseFlagArguments } from "./flag-arguments.ts";
import { addServerOption, clientFor } from "./server-options.ts";

export function flagsCommand(): Command {
  return addServerOption(new Command("flags"))
    .description(
      "print an environment's feature flags, or set them: previewd flags <env> banner-text=Hi page-size=5",
    )
    .argument("<env>", "environment id")
    .argument("[assignments...]", "key=value; values are read as the flag's declared type")
    .option("--json", "print the flags as JSON")
    .action(async (id: string, assignments: string[], options: { server?: string; json?: boolean }) => {
      const client = clientFor(options);
      let flags = await client.flags(id);
      if (assignments.length) flags = await client.setFlags(id, parseFlagArguments(assignments, flags));
      if (options.json) console.log(JSON.stringify(flags, null, 2));
      else if (Object.keys(flags).length === 0)
        console.error(`${id} declares no flags (see flags: in preview.yaml)`);
      else for (const line of formatFlags(flags)) console.log(line);
    });
}
