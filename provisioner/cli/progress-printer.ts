/** Formats provisioning events as one line each: `✓ build web 1.2s`. */
import type { EnvironmentEvent, EnvironmentView } from "../environments/environment-schema.ts";

export class ProgressPrinter {
  readonly #started = new Map<string, number>();

  constructor(private readonly write: (line: string) => void) {}

  event(event: EnvironmentEvent): void {
    const line = this.format(event);
    if (line !== undefined) this.write(line);
  }

  format(event: EnvironmentEvent): string | undefined {
    const key = `${event.step}/${event.app ?? ""}`;
    const what = [event.step, event.app].filter(Boolean).join(" ");
    const at = Date.parse(event.ts);
    switch (event.status) {
      case "started":
        this.#started.set(key, at);
        return `› ${what}${event.message ? ` · ${event.message}` : ""}`;
      case "succeeded": {
        const start = this.#started.get(key);
        return `✓ ${what}${start === undefined ? "" : ` ${seconds(at - start)}`}`;
      }
      case "failed":
        return `✗ ${what}: ${event.message}`;
      case "skipped":
        return `- ${what} skipped${event.message ? ` (${event.message})` : ""}`;
      case "info":
        return `  ${event.message}`;
    }
  }
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
}

/** `app  url` lines, names padded so URLs line up. */
export function formatAppUrls(environment: EnvironmentView): string[] {
  const apps = Object.entries(environment.apps);
  const width = Math.max(0, ...apps.map(([name]) => name.length));
  return apps.map(([name, app]) => `${name.padEnd(width)}  ${app.url}`);
}

/** What went wrong, for a failed environment: step, app, message and the log tail. */
export function formatFailure(environment: EnvironmentView): string[] {
  const error = environment.error;
  if (!error) return [`✗ environment ${environment.id} failed`];
  const where = error.app ? `${error.step} (${error.app})` : error.step;
  return [
    `✗ ${environment.id} failed at ${where}: ${error.message}`,
    ...error.logTail.map((line) => `  | ${line}`),
  ];
}
