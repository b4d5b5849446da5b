/** Which Chromium to run: CHROMIUM_PATH, else the system's, else Playwright's if it is installed. */
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { BrowserUnavailableError } from "../bridge-errors.ts";

const systemCandidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export async function findChromium(configured: string | undefined, env = process.env): Promise<string> {
  if (configured) {
    if (await isExecutable(configured)) return configured;
    throw new BrowserUnavailableError(`CHROMIUM_PATH ${configured} is not an executable file`);
  }
  const onPath = (env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .flatMap((dir) => [path.join(dir, "chromium"), path.join(dir, "chromium-browser")]);
  for (const candidate of [...systemCandidates, ...onPath]) {
    if (await isExecutable(candidate)) return candidate;
  }
  const playwright = await playwrightChromium();
  if (playwright) return playwright;
  throw new BrowserUnavailableError(
    "no Chromium found: install chromium (e.g. apt-get install chromium) or set CHROMIUM_PATH",
  );
}

async function playwrightChromium(): Promise<string | undefined> {
  try {
    const { chromium } = await import("playwright-core");
    const candidate = chromium.executablePath();
    return (await isExecutable(candidate)) ? candidate : undefined;
  } catch {
    return undefined;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}
