/** The `previewd` command line: one file per command. */
import { Command } from "commander";
import { demoCommand } from "./demo.ts";
import { downCommand } from "./down-command.ts";
import { lsCommand } from "./ls-command.ts";
import { serveCommand } from "./serve-command.ts";
import { upCommand } from "./up-command.ts";
import { commentCommand } from "./comment-command.ts";
import { flagsCommand } from "./flags-command.ts";
import { logsCommand } from "./logs-command.ts";
import { scenarioCommand } from "./scenario-command.ts";
import { screenshotCommand } from "./screenshot-command.ts";
import { mcpCommand } from "./mcp-command.ts";
import { renderCommand } from "./render-command.ts";
import { packageVersion } from "./package-info.ts";

export function createProgram(): Command {
  return new Command("previewd")
    .description("a running environment per branch or worktree of a monorepo")
    .version(packageVersion())
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(upCommand())
    .addCommand(lsCommand())
    .addCommand(downCommand())
    .addCommand(logsCommand())
    .addCommand(flagsCommand())
    .addCommand(scenarioCommand())
    .addCommand(screenshotCommand())
    .addCommand(commentCommand())
    .addCommand(mcpCommand())
    .addCommand(renderCommand())
    .addCommand(demoCommand());
}
