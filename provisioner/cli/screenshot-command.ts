/** `previewd screenshot <env> [--app A] [--path P] [-o file.png]`: capture a page in the environment's browser. */
import { writeFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import type { ScreenshotRequest } from "../../devtools-bridge/screenshots/screenshot-request.ts";
import { addServerOption, clientFor } from "./server-options.ts";

interface ScreenshotOptions {
  server?: string;
  app?: string;
  path?: string;
  url?: string;
  fullPage?: boolean;
  width?: number;
  height?: number;
  waitFor?: string;
  output?: string;
}

export function screenshotCommand(): Command {
  return addServerOption(new Command("screenshot"))
    .description("screenshot an app of an environment in its browser (PNG)")
    .argument("<env>", "environment id")
    .option("--app <app>", 'the app (default: "web" if there is one, else the first)')
    .option("--path <path>", "path on the app's preview URL (default /)")
    .option("--url <url>", "a preview URL of the environment, instead of --app and --path")
    .option("--full-page", "capture the whole page (at most 4000 px tall)")
    .option("--width <px>", "viewport width, at most 1920 (default 1280)", positiveInt)
    .option("--height <px>", "viewport height, at most 1080 (default 720)", positiveInt)
    .option("--wait-for <what>", '"load" (default), "networkidle", or a CSS selector')
    .option("-o, --output <file>", "where to write the PNG (default: <env>-<id>.png)")
    .action(async (id: string, options: ScreenshotOptions) => {
      const client = clientFor(options);
      const request: ScreenshotRequest = {
        ...(options.app && { app: options.app }),
        ...(options.path && { path: options.path }),
        ...(options.url && { url: options.url }),
        ...(options.fullPage && { fullPage: true }),
        ...(options.width && { width: options.width }),
        ...(options.height && { height: options.height }),
        ...(options.waitFor && { waitFor: options.waitFor }),
      };
      const shot = await client.takeScreenshot(id, request);
      const file = options.output ?? `${id}-${shot.id}.png`;
      await writeFile(file, await client.screenshotPng(id, shot.id));
      for (const error of shot.consoleErrors) console.error(`  page error: ${error}`);
      console.log(`${file}  (${shot.width}×${shot.height}, ${shot.pageUrl})`);
    });
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError("expected a positive integer");
  return parsed;
}
