/**
 * `PREVIEWD_TOKEN_FILE` (or `serve --token-file`): the token read from a file at start, so it is
 * in no process environment at all, previewd's own included (`/proc/<pid>/environ` shows the
 * environment a process started with, whatever it deletes later).
 */
import { readFileSync } from "node:fs";
import { ValidationError } from "./errors.ts";

export const tokenFileVariable = "PREVIEWD_TOKEN_FILE";

/** The file's content, trimmed; a ValidationError naming the variable when it is unreadable or empty. */
export function readTokenFile(file: string): string {
  const refuse = (message: string, cause?: unknown) =>
    new ValidationError(`${tokenFileVariable}: ${message}`, {
      ...(cause !== undefined && { cause }),
      errors: [{ path: tokenFileVariable, message: `${message} (got ${JSON.stringify(file)})` }],
    });
  let content: string;
  try {
    content = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw refuse(`cannot read the token file (${code})`, error);
  }
  const token = content.trim();
  if (!token) throw refuse("the token file is empty");
  return token;
}
