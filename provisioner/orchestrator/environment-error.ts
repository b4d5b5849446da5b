/**
 * The `error` an environment shows after a failure: the step, the app, a message and the last log
 * lines, each capped. A copy or build can fail with a message of tens of kilobytes; stored in
 * state.json and sent with every view, it would slow every write and every answer.
 */
import type { EnvironmentError } from "../environments/environment-schema.ts";
import { errorMessage, ProvisionError } from "../errors.ts";

/** Characters kept of a message; the rest is cut in the middle, where it says least. */
export const MAX_MESSAGE_CHARS = 4096;
/** Characters kept of each log line, and how many lines. */
export const MAX_LOG_LINE_CHARS = 1024;
export const MAX_LOG_LINES = 100;

export function environmentError(error: unknown, step = "provision"): EnvironmentError {
  if (error instanceof ProvisionError) {
    return cappedError({
      step: error.step,
      ...(error.app && { app: error.app }),
      message: error.message,
      logTail: error.logTail,
    });
  }
  return cappedError({ step, message: errorMessage(error), logTail: [] });
}

export function cappedError(error: EnvironmentError): EnvironmentError {
  return {
    ...error,
    message: capText(error.message, MAX_MESSAGE_CHARS),
    logTail: error.logTail.slice(-MAX_LOG_LINES).map((line) => capText(line, MAX_LOG_LINE_CHARS)),
  };
}

/** `text` if it fits in `max` characters, else its start and end around a marker saying how much was cut. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = (cut: number) => ` … [${cut} characters cut] … `;
  const keep = max - marker(text.length).length;
  const head = Math.ceil(keep / 2);
  const tail = keep - head;
  return `${text.slice(0, head)}${marker(text.length - keep)}${text.slice(text.length - tail)}`;
}
