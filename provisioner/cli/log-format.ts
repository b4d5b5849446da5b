/** One log line as the CLI prints it: time, app (a stable colour per app), and the line. */
import type { LogEntry } from "../logs/log-store.ts";

const palette = [36, 35, 32, 33, 34, 96, 95, 92, 93, 94];

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}

export function formatLogLine(entry: LogEntry, options: { colour: boolean; appWidth?: number }): string {
  const time = entry.ts.slice(11, 23);
  const app = entry.app.padEnd(options.appWidth ?? 10);
  const marker = entry.stream === "stderr" ? "!" : entry.stream === "system" ? "*" : "|";
  if (!options.colour) return `${time} ${app} ${marker} ${entry.line}`;
  const code = palette[hash(entry.app) % palette.length]!;
  const line = entry.stream === "stderr" ? `\x1b[31m${entry.line}\x1b[0m` : entry.line;
  return `\x1b[2m${time}\x1b[0m \x1b[${code}m${app}\x1b[0m ${marker} ${line}`;
}

function hash(text: string): number {
  let h = 0;
  for (const char of text) h = (h * 31 + char.charCodeAt(0)) >>> 0;
  return h;
}
